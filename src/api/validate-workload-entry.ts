// WorkloadEntry spec (also the shape of ServiceEntry endpoints).

import { dnsSubdomain, ipOrHostname } from './names.js';
import type { WorkloadEntrySpec } from './types.js';
import { compact, readLabels, type Field, type FieldSet } from './validate-common.js';
import { checkLocality } from './locality.js';

const WORKLOAD_ENTRY: FieldSet = {
  supported: ['address', 'ports', 'labels', 'serviceAccount', 'weight', 'network', 'locality'],
};

export function validateWorkloadEntrySpec(f: Field): WorkloadEntrySpec {
  f.object(WORKLOAD_ENTRY, { required: true });
  return compact({
    address: f.get('address').string({ required: true, check: ipOrHostname }),
    ports: f.get('ports').map((p) => p.int({ required: true, min: 1, max: 65535 }), { what: 'a map of port name to port number' }),
    labels: readLabels(f.get('labels')),
    serviceAccount: f.get('serviceAccount').string({ check: dnsSubdomain }),
    weight: f.get('weight').int({ min: 0, max: 4294967295 }),
    network: f.get('network').string(),
    locality: f.get('locality').string({ check: checkLocality }),
  });
}


// DestinationRule spec: subsets and traffic policies (load balancer in validate-load-balancer.ts).

import { dnsLabel, exportTarget, hostPattern } from './names.js';
import type { DestinationRuleSpec, PortTrafficPolicy, Subset, TrafficPolicy } from './types.js';
import { readLoadBalancer } from './validate-load-balancer.js';
import { readConnectionPool, readOutlierDetection } from './validate-traffic-policy.js';
import { readClientTls } from './validate-client-tls.js';
import { checkUnique, compact, readLabels, type Field, type FieldSet } from './validate-common.js';

const SPEC: FieldSet = { supported: ['host', 'trafficPolicy', 'subsets', 'exportTo'], notYet: ['workloadSelector'] };
const TRAFFIC_POLICY: FieldSet = {
  supported: ['loadBalancer', 'connectionPool', 'outlierDetection', 'portLevelSettings', 'tls'],
  notYet: ['tunnel', 'proxyProtocol', 'retryBudget'],
};
const PORT_TRAFFIC_POLICY: FieldSet = { supported: ['port', 'loadBalancer', 'connectionPool', 'outlierDetection', 'tls'] };
const SUBSET: FieldSet = { supported: ['name', 'labels', 'trafficPolicy'] };


export function validateDestinationRuleSpec(f: Field): DestinationRuleSpec {
  f.object(SPEC, { required: true });
  const subsets = f.get('subsets').list(readSubset);
  checkUnique(f.get('subsets'), subsets, 'name', (s) => s.name, 'subset name');
  return compact({
    host: f.get('host').string({ required: true, check: hostPattern }),
    trafficPolicy: f.get('trafficPolicy').ifPresent(readTrafficPolicy),
    subsets,
    exportTo: f.get('exportTo').stringList({ check: exportTarget }),
  });
}

function readSubset(f: Field): Subset {
  f.object(SUBSET, { required: true });
  return compact({
    name: f.get('name').string({ required: true, check: dnsLabel }),
    labels: readLabels(f.get('labels'), { required: true }),
    trafficPolicy: f.get('trafficPolicy').ifPresent(readTrafficPolicy),
  });
}

function readTrafficPolicy(f: Field): TrafficPolicy {
  f.object(TRAFFIC_POLICY);
  const portLevelSettings = f.get('portLevelSettings').ifPresent((l) => l.list(readPortTrafficPolicy));
  if (portLevelSettings) checkUnique(f.get('portLevelSettings'), portLevelSettings, 'port.number', (p) => p.port.number, 'port');
  return compact({
    loadBalancer: f.get('loadBalancer').ifPresent(readLoadBalancer),
    connectionPool: f.get('connectionPool').ifPresent(readConnectionPool),
    outlierDetection: f.get('outlierDetection').ifPresent(readOutlierDetection),
    tls: f.get('tls').ifPresent(readClientTls),
    portLevelSettings,
  });
}

function readPortTrafficPolicy(f: Field): PortTrafficPolicy {
  f.object(PORT_TRAFFIC_POLICY, { required: true });
  const port = f.get('port');
  port.object({ supported: ['number'] }, { required: true });
  return compact({
    port: { number: port.get('number').int({ required: true, min: 1, max: 65535 }) },
    loadBalancer: f.get('loadBalancer').ifPresent(readLoadBalancer),
    connectionPool: f.get('connectionPool').ifPresent(readConnectionPool),
    outlierDetection: f.get('outlierDetection').ifPresent(readOutlierDetection),
    tls: f.get('tls').ifPresent(readClientTls),
  });
}

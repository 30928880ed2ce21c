// DestinationRule trafficPolicy.loadBalancer.localityLbSetting (Istio's LocalityLoadBalancerSetting):
// `enabled`, `failover` (region to region) and `failoverPriority` (ordered labels) are implemented;
// `distribute` is accepted with a warning (not supported yet). Checks follow Istio's validation.

import type { LocalityLbSetting } from './types.js';
import { compact, type Field, type FieldSet } from './validate-common.js';

const LOCALITY_LB: FieldSet = { supported: ['enabled', 'failover', 'failoverPriority'], notYet: ['distribute'] };
const FAILOVER: FieldSet = { supported: ['from', 'to'] };

function region(s: string): string | undefined {
  return s.includes('/') ? 'expected a region (no "/"; failover is between regions)' : undefined;
}

function readFailover(f: Field): { from: string; to: string } {
  f.object(FAILOVER, { required: true });
  const from = f.get('from').string({ required: true, check: region });
  const to = f.get('to').string({ required: true, check: region });
  if (from !== '' && from === to) f.get('to').error(`expected a region other than "from" ("${from}")`);
  return { from, to };
}

export function readLocalityLbSetting(f: Field): LocalityLbSetting {
  f.object(LOCALITY_LB);
  const enabled = f.get('enabled').bool();
  const failoverF = f.get('failover');
  const failover = failoverF.list(readFailover);
  const seen = new Map<string, number>();
  failover.forEach((fo, i) => {
    const first = seen.get(fo.from);
    if (first !== undefined && fo.from !== '') {
      failoverF.at(i).get('from').error(`duplicate failover source region "${fo.from}" (also at ${failoverF.at(first).get('from').pathText})`);
    } else seen.set(fo.from, i);
  });
  const failoverPriority = f.get('failoverPriority').stringList({
    check: (s) => (s === '' || s.startsWith('=') ? 'expected a label name, optionally "name=value"' : undefined),
  });
  if (failoverF.present && f.get('distribute').present) f.error("only one of 'distribute' or 'failover' may be set");
  return compact({
    enabled,
    failover: failover.length > 0 ? failover : undefined,
    failoverPriority: failoverPriority.length > 0 ? failoverPriority : undefined,
  });
}

// The picker for a cluster's lb_policy and lb config.
import type { ClusterConfig } from '../../config/types.js';
import { DEFAULT_LB_CONFIG } from '../../config/lb-config.js';
import { makePicker, type Picker } from './picker.js';
import { MaglevPicker } from './maglev.js';
import { RingHashPicker } from './ring-hash.js';
import { slowStartWeight } from './slow-start.js';

export function pickerFor(config: ClusterConfig, now: () => number): Picker {
  const lb = config.lb ?? DEFAULT_LB_CONFIG;
  switch (config.lbPolicy) {
    case 'RING_HASH':
      return new RingHashPicker(lb);
    case 'MAGLEV':
      return new MaglevPicker(lb.tableSize);
    case 'RANDOM':
      return makePicker('RANDOM');
    default:
      return lb.slowStartWindowMs > 0 ? makePicker(config.lbPolicy, slowStartWeight(lb.slowStartWindowMs, now)) : makePicker(config.lbPolicy);
  }
}

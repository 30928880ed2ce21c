// Remembers the host list (and weights) a picker last built its structure for, so a ring or a
// maglev table is rebuilt only when the hosts actually change, not per request.
import type { Host } from '../host.js';

export class HostSetTracker {
  private hosts: readonly Host[] = [];
  private weights: number[] = [];

  /** True when `hosts` differs (members, order or weights) from the last call's list. */
  changed(hosts: readonly Host[]): boolean {
    if (hosts === this.hosts && this.sameWeights(hosts)) return false;
    let same = hosts.length === this.hosts.length && this.sameWeights(hosts);
    for (let i = 0; same && i < hosts.length; i++) if (hosts[i] !== this.hosts[i]) same = false;
    this.hosts = hosts;
    if (same) return false;
    this.weights = hosts.map((h) => h.endpoint.weight);
    return true;
  }

  private sameWeights(hosts: readonly Host[]): boolean {
    if (hosts.length !== this.weights.length) return false;
    for (let i = 0; i < hosts.length; i++) if (hosts[i]!.endpoint.weight !== this.weights[i]) return false;
    return true;
  }
}

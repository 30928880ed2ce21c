// Outlier detection as Envoy does it: fed the result of each upstream request per host (never a
// filter). Consecutive 5xx, or consecutive gateway errors (502, 503, 504, and locally originated
// connect failures, resets and timeouts), reaching the threshold ejects the host at once, unless
// max_ejection_percent is already used up (at least one host may always be ejected). An ejected
// host returns on the first interval sweep after base_ejection_time × times ejected (capped at
// max_ejection_time); each sweep a healthy host's ejection count decays by one once it has stayed
// in for a base_ejection_time.
import type { OutlierConfig } from '../../config/cluster-policy.js';
import type { Host } from '../host.js';

export interface OutlierClock {
  now(): number;
  /** Calls `fn` every `ms`; the returned function stops it. */
  every(ms: number, fn: () => void): () => void;
}

export const realClock: OutlierClock = {
  now: () => performance.now(),
  every: (ms, fn) => {
    const t = setInterval(fn, ms);
    t.unref();
    return () => clearInterval(t);
  },
};

interface HostState {
  consecutive5xx: number;
  consecutiveGateway: number;
  ejected: boolean;
  ejectedAt: number;
  /** Times ejected (the ejection time multiplier). */
  ejections: number;
  /** When the host last returned (for the multiplier's decay). */
  returnedAt: number;
}

/** The status Envoy records for a request that got no response (split_external_local_origin_errors off). */
export function outlierStatus(flag: string, responseStatus: number, responseStarted: boolean): number | null {
  if (responseStarted) return responseStatus;
  switch (flag) {
    case 'UF':
    case 'UC':
      return 503;
    case 'UT':
      return 504;
    case 'UPE':
      return 502;
    default:
      // No upstream result: overflow, no route, downstream gone, ...
      return null;
  }
}

export class OutlierDetector {
  private readonly states = new Map<Host, HostState>();
  private stopTimer: () => void;
  /** Bumped whenever a host is ejected or returns (pickers cache on it). */
  version = 0;
  ejectionsTotal = 0;

  constructor(
    readonly config: OutlierConfig,
    private readonly hosts: () => readonly Host[],
    private readonly clock: OutlierClock = realClock,
    private readonly rand: () => number = Math.random,
  ) {
    this.stopTimer = clock.every(config.intervalMs, () => this.sweep());
  }

  stop(): void {
    this.stopTimer();
    this.stopTimer = () => {};
  }

  private state(host: Host): HostState {
    let s = this.states.get(host);
    if (!s) {
      s = { consecutive5xx: 0, consecutiveGateway: 0, ejected: false, ejectedAt: 0, ejections: 0, returnedAt: 0 };
      this.states.set(host, s);
    }
    return s;
  }

  isEjected(host: Host): boolean {
    return this.states.get(host)?.ejected === true;
  }

  get ejectedCount(): number {
    let n = 0;
    for (const h of this.hosts()) if (this.isEjected(h)) n++;
    return n;
  }

  /** One upstream result for `host`: an HTTP status (see outlierStatus for local failures). */
  report(host: Host, status: number): void {
    const s = this.state(host);
    if (s.ejected) return;
    const c = this.config;
    if (status >= 500) {
      s.consecutive5xx++;
      if (status === 502 || status === 503 || status === 504) s.consecutiveGateway++;
      else s.consecutiveGateway = 0;
    } else {
      s.consecutive5xx = 0;
      s.consecutiveGateway = 0;
      return;
    }
    if (c.consecutiveGatewayFailure > 0 && s.consecutiveGateway >= c.consecutiveGatewayFailure) {
      s.consecutiveGateway = 0;
      if (this.enforced(c.enforcingConsecutiveGatewayFailure)) this.eject(host, s);
    }
    if (!s.ejected && c.consecutive5xx > 0 && s.consecutive5xx >= c.consecutive5xx) {
      s.consecutive5xx = 0;
      if (this.enforced(c.enforcingConsecutive5xx)) this.eject(host, s);
    }
  }

  private enforced(percent: number): boolean {
    return percent >= 100 || (percent > 0 && this.rand() * 100 < percent);
  }

  private eject(host: Host, s: HostState): void {
    const hosts = this.hosts();
    const ejected = this.ejectedCount;
    if (ejected > 0 && (100 * (ejected + 1)) / hosts.length > this.config.maxEjectionPercent) return;
    s.ejected = true;
    s.ejections++;
    s.ejectedAt = this.clock.now();
    s.consecutive5xx = 0;
    s.consecutiveGateway = 0;
    this.ejectionsTotal++;
    this.version++;
  }

  /** The interval sweep: returns hosts whose ejection time has passed. */
  sweep(): void {
    const now = this.clock.now();
    const c = this.config;
    for (const [host, s] of this.states) {
      if (!this.hosts().includes(host)) {
        this.states.delete(host);
        continue;
      }
      if (s.ejected) {
        const time = Math.min(c.baseEjectionTimeMs * s.ejections, Math.max(c.maxEjectionTimeMs, c.baseEjectionTimeMs));
        if (now - s.ejectedAt >= time) {
          s.ejected = false;
          s.returnedAt = now;
          this.version++;
        }
      } else if (s.ejections > 0 && now - s.returnedAt >= c.baseEjectionTimeMs) {
        s.ejections--;
        s.returnedAt = now;
      }
    }
  }
}

/**
 * The hosts a picker may choose from: all of them when none is ejected or when the healthy share
 * is below the panic threshold (Envoy's panic mode); otherwise the healthy ones (none: UH).
 */
export function eligibleHosts(hosts: readonly Host[], detector: OutlierDetector, panicThresholdPercent: number): readonly Host[] {
  let healthy = 0;
  for (const h of hosts) if (!detector.isEjected(h)) healthy++;
  if (healthy === hosts.length) return hosts;
  if (panicThresholdPercent > 0 && (100 * healthy) / hosts.length < panicThresholdPercent) return hosts;
  return hosts.filter((h) => !detector.isEjected(h));
}

// Loopback address allocation for `weft up`: every workload instance gets its own 127.x.y.z
// address, so its sidecar and app can use the standard ports without clashing, as pods do.
// Pure and deterministic: the same set of instances always gets the same addresses.

/** Identifies one replica of one workload. */
export interface InstanceRef {
  namespace: string;
  workload: string;
  /** 0-based replica index. */
  index: number;
}

/** A /24-style prefix such as "127.0.1": three octets, the fourth is allocated. */
export type Subnet = readonly [number, number, number];

/** Highest host number used in the last octet (.255 is avoided, like a broadcast address). */
const MAX_HOST = 254;

/** Parses "127.0.1" into its octets; throws RangeError with a readable message when invalid. */
export function parseSubnet(text: string): Subnet {
  const parts = text.split('.');
  if (parts.length !== 3 || parts.some((p) => !/^\d{1,3}$/.test(p))) {
    throw new RangeError(`invalid subnet "${text}": expected three octets such as 127.0.1`);
  }
  const octets = parts.map(Number);
  const [a, b, c] = octets as [number, number, number];
  if (octets.some((o) => o > 255)) {
    throw new RangeError(`invalid subnet "${text}": octets must be 0-255`);
  }
  if (a !== 127) {
    throw new RangeError(`invalid subnet "${text}": local mode needs a loopback prefix (127.x.y)`);
  }
  return [a, b, c];
}

/**
 * The address of the n-th host (1-based) in the subnet. Host numbers run .1 to .254; after .254
 * allocation continues in the next third octet (127.0.1.254 -> 127.0.2.1).
 */
export function hostAddress(subnet: Subnet, n: number): string {
  if (!Number.isInteger(n) || n < 1) throw new RangeError(`host number must be a positive integer, got ${n}`);
  const [a, b, c] = subnet;
  const third = c + Math.floor((n - 1) / MAX_HOST);
  const fourth = ((n - 1) % MAX_HOST) + 1;
  if (third > 255) {
    throw new RangeError(`subnet ${a}.${b}.${c} has no room for ${n} addresses`);
  }
  return `${a}.${b}.${third}.${fourth}`;
}

function compareText(a: string, b: string): number {
  // Code-unit order, not locale order: the result must not depend on the user's locale.
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Sort order of instances: namespace, then workload name, then replica index. */
export function compareInstances(a: InstanceRef, b: InstanceRef): number {
  return compareText(a.namespace, b.namespace) || compareText(a.workload, b.workload) || a.index - b.index;
}

/**
 * Assigns addresses in sorted (namespace, workload, index) order, counting from host 1.
 * Addresses in `reserved` (e.g. the gateway's 127.0.0.1) are skipped. Returns new objects in
 * sorted order; the input is not modified. Throws RangeError when the subnet overflows.
 */
export function allocateAddresses<T extends InstanceRef>(
  subnet: Subnet,
  instances: readonly T[],
  reserved: ReadonlySet<string> = new Set(),
): Array<T & { address: string }> {
  const sorted = [...instances].sort(compareInstances);
  const out: Array<T & { address: string }> = [];
  let n = 0;
  for (const instance of sorted) {
    let address: string;
    do {
      n++;
      address = hostAddress(subnet, n);
    } while (reserved.has(address));
    out.push({ ...instance, address });
  }
  return out;
}

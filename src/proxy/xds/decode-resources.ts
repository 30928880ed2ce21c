// Turns the Any resources of one state-of-the-world DiscoveryResponse into name -> object, or the
// NACK message that says which resource was wrong and why.
import type { AnyResource } from '../../xds/ads-service.js';
import { TYPE_BY_URL, unpackAny } from '../../xds/protos.js';
import type { XdsType } from '../../xds/protos.js';

export type DecodeResult =
  | { ok: true; resources: Map<string, Record<string, unknown>> }
  | { ok: false; error: string };

/** The field that names a resource of each type (ClusterLoadAssignment is the odd one out). */
const NAME_FIELD: Record<XdsType, string> = {
  listener: 'name',
  route: 'name',
  cluster: 'name',
  endpoint: 'cluster_name',
  secret: 'name',
};

export function resourceName(type: XdsType, resource: Record<string, unknown>): string | undefined {
  const name = resource[NAME_FIELD[type]];
  return typeof name === 'string' && name !== '' ? name : undefined;
}

export function decodeResources(type: XdsType, anys: readonly AnyResource[]): DecodeResult {
  const resources = new Map<string, Record<string, unknown>>();
  for (const [i, any] of anys.entries()) {
    const resType = TYPE_BY_URL.get(any.type_url);
    if (resType === undefined) {
      return { ok: false, error: `resource ${i}: unknown type_url "${any.type_url}"` };
    }
    if (resType !== type) {
      return { ok: false, error: `resource ${i}: type_url "${any.type_url}" in a ${type} response` };
    }
    let decoded: Record<string, unknown>;
    try {
      decoded = unpackAny({ type_url: any.type_url, value: any.value ?? Buffer.alloc(0) });
    } catch (err) {
      return { ok: false, error: `resource ${i}: cannot decode ${type}: ${(err as Error).message}` };
    }
    const name = resourceName(type, decoded);
    if (name === undefined) {
      return { ok: false, error: `resource ${i}: missing ${NAME_FIELD[type]}` };
    }
    if (resources.has(name)) {
      return { ok: false, error: `resource ${i}: duplicate ${type} "${name}"` };
    }
    resources.set(name, decoded);
  }
  return { ok: true, resources };
}

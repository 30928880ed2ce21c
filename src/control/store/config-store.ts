// The control plane's config store: named layers (watched files, the instance registry, resources
// applied through the API), merged with later layers winning. Each change reports which kinds it
// touched, so the snapshot builder can reuse every other index.
import type { KindName, Resource } from '../../api/types.js';
import { resourceKey } from '../../api/types.js';

export type Layer = 'files' | 'registry' | 'applied';
const LAYER_ORDER: readonly Layer[] = ['files', 'registry', 'applied'];

export type StoreListener = (kinds: ReadonlySet<KindName>) => void;

/** Same apiVersion, metadata and spec (where a resource came from does not count). */
export function sameResource(a: Resource, b: Resource): boolean {
  return a.apiVersion === b.apiVersion && JSON.stringify([a.metadata, a.spec]) === JSON.stringify([b.metadata, b.spec]);
}

export class ConfigStore {
  private readonly layers = new Map<Layer, ReadonlyMap<string, Resource>>();
  private merged = new Map<string, Resource>();
  private readonly listeners: StoreListener[] = [];

  onChange(l: StoreListener): void {
    this.listeners.push(l);
  }

  /** Replaces one layer whole; emits the kinds whose effective resources changed. */
  setLayer(layer: Layer, resources: readonly Resource[]): ReadonlySet<KindName> {
    const m = new Map<string, Resource>();
    for (const r of resources) m.set(resourceKey(r), r);
    this.layers.set(layer, m);
    return this.remerge();
  }

  getLayer(layer: Layer): ReadonlyMap<string, Resource> {
    return this.layers.get(layer) ?? new Map();
  }

  get(key: string): Resource | undefined {
    return this.merged.get(key);
  }

  all(): Resource[] {
    return [...this.merged.values()];
  }

  byKind(): Map<KindName, Resource[]> {
    const out = new Map<KindName, Resource[]>();
    for (const r of this.merged.values()) {
      const list = out.get(r.kind) ?? [];
      list.push(r);
      out.set(r.kind, list);
    }
    return out;
  }

  private remerge(): ReadonlySet<KindName> {
    const next = new Map<string, Resource>();
    for (const layer of LAYER_ORDER) for (const [k, r] of this.layers.get(layer) ?? []) next.set(k, r);
    const changed = new Set<KindName>();
    for (const [k, r] of next) {
      const old = this.merged.get(k);
      if (!old || !sameResource(old, r)) changed.add(r.kind);
    }
    for (const [k, r] of this.merged) if (!next.has(k)) changed.add(r.kind);
    this.merged = next;
    if (changed.size > 0) for (const l of this.listeners) l(changed);
    return changed;
  }
}

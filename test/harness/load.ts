// A bounded load loop for integration tests: N concurrent workers for at most `durationMs` and
// at most `maxRequests` requests; returns what each response looked like.
export interface LoadResult {
  total: number;
  byStatus: Map<number, number>;
  errors: string[];
  byKey: Map<string, number>;
}

export async function runLoad(opts: {
  concurrency: number;
  durationMs?: number;
  maxRequests: number;
  send: (i: number) => Promise<{ status: number; key?: string }>;
}): Promise<LoadResult> {
  const result: LoadResult = { total: 0, byStatus: new Map(), errors: [], byKey: new Map() };
  const deadline = Date.now() + (opts.durationMs ?? 60_000);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < opts.maxRequests && Date.now() < deadline) {
      const i = next++;
      try {
        const r = await opts.send(i);
        result.byStatus.set(r.status, (result.byStatus.get(r.status) ?? 0) + 1);
        if (r.key !== undefined) result.byKey.set(r.key, (result.byKey.get(r.key) ?? 0) + 1);
      } catch (err) {
        result.errors.push(err instanceof Error ? err.message : String(err));
      }
      result.total++;
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return result;
}

export function describe(r: LoadResult): string {
  return `total=${r.total} status=${JSON.stringify([...r.byStatus])} keys=${JSON.stringify([...r.byKey])} errors=${r.errors.slice(0, 3).join('; ')}`;
}

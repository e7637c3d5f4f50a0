/**
 * Runs `fn` over `items` with at most `limit` calls in flight, starting them in order. `onDone` sees each
 * result as it completes. Once `signal` is aborted no new item starts; items never started are missing
 * (`undefined`) from the returned array. A rejection of `fn` rejects the whole run.
 */
export async function runPool<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
  opts: { onDone?: (result: R, index: number) => void; signal?: AbortSignal } = {},
): Promise<(R | undefined)[]> {
  const results: (R | undefined)[] = new Array(items.length).fill(undefined);
  let next = 0;
  const worker = async () => {
    while (next < items.length && opts.signal?.aborted !== true) {
      const i = next++;
      const r = await fn(items[i] as T, i);
      results[i] = r;
      opts.onDone?.(r, i);
    }
  };
  const n = Math.max(1, Math.min(limit, items.length));
  await Promise.all(Array.from({ length: n }, worker));
  return results;
}

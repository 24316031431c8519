/**
 * Bounded concurrency for async work.
 * @module
 */

/** Maps `items` through `fn` with at most `options.limit` calls in flight, keeping order. */
export async function mapLimit<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => Promise<R>,
  options: { limit: number },
): Promise<R[]> {
  const { limit } = options;
  const results = new Array<R>(items.length);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < items.length) {
      const i = next++;
      results[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return results;
}

/**
 * Bounded concurrency for async work.
 * @module
 */

/**
 * Maps `items` through `fn` with at most `options.limit` calls in flight, keeping order. When a
 * call fails, no new call starts, and the first error is thrown once the calls in flight have
 * settled (native work such as sharp's must not outlive the caller's error handling).
 */
export async function mapLimit<T, R>(
  items: readonly T[],
  fn: (item: T, index: number) => Promise<R>,
  options: { limit: number },
): Promise<R[]> {
  const { limit } = options;
  const results = new Array<R>(items.length);
  let next = 0;
  let failed = false;
  async function worker(): Promise<void> {
    while (next < items.length && !failed) {
      const i = next++;
      try {
        results[i] = await fn(items[i], i);
      } catch (error) {
        failed = true;
        throw error;
      }
    }
  }
  const settled = await Promise.allSettled(
    Array.from({ length: Math.min(limit, items.length) }, worker),
  );
  const rejected = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
  if (rejected) throw rejected.reason;
  return results;
}

/**
 * Runs `work` over `items` with at most `limit` at a time. The work queue bounds the calls, but not
 * what happens after a call (a page waiting for a database connection): this bounds both.
 */
export const forEachLimit = async <T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> => {
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next] as T;
      next += 1;
      await work(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
};

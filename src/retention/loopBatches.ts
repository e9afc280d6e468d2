/**
 * Runs `batch` until it returns fewer rows than `batchSize` (nothing left, or the rest is held by
 * another transaction and waits for the next run), or `signal` aborts. Each batch is its own short
 * statement, so no lock is held between batches.
 */
export const loopBatches = async (
  batch: () => Promise<number>,
  p: { readonly batchSize: number; readonly signal?: AbortSignal | undefined },
): Promise<{ readonly rows: number; readonly batches: number }> => {
  let rows = 0;
  let batches = 0;
  while (!p.signal?.aborted) {
    const n = await batch();
    batches += 1;
    rows += n;
    if (n < p.batchSize) break;
  }
  return { rows, batches };
};

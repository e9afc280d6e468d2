import type { KnownBlock } from '@slack/types';

export const VIEW_OUTPUT_ACTION_ID = 'view_output';
export const RESULTS_CSV_ACTION_ID = 'results_csv';
const BLOCK_PREFIX = 'results:';

/** The run a results control belongs to (its block id), or null. */
export const runIdOfResultsBlock = (blockId: string | undefined): string | null =>
  blockId?.startsWith(BLOCK_PREFIX) ? blockId.slice(BLOCK_PREFIX.length) : null;

/**
 * The controls under a run's results: an instance picker (options searched in the run's executions, so it
 * works at 5,000 instances) that opens the instance's output, and optionally the results CSV sent by DM.
 */
export const resultsControls = (runId: string, o: { readonly csv: boolean }): KnownBlock => ({
  type: 'actions',
  block_id: `${BLOCK_PREFIX}${runId}`,
  elements: [
    {
      type: 'external_select',
      action_id: VIEW_OUTPUT_ACTION_ID,
      placeholder: { type: 'plain_text', text: 'View output of an instance…' },
      min_query_length: 0,
    },
    ...(o.csv
      ? [
          {
            type: 'button' as const,
            action_id: RESULTS_CSV_ACTION_ID,
            text: { type: 'plain_text' as const, text: 'Results as CSV (by DM)' },
            value: runId,
          },
        ]
      : []),
  ],
});

import type { Logger } from 'pino';
import type { DatabasePool } from 'slonik';
import type { RunNotifier } from '../domain/runNotifier.ts';
import { listApprovers } from '../db/queries/approvals.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import { approvalMessage } from './blocks/approvalMessage.ts';
import { mention } from './blocks/mention.ts';
import { runMessage, summaryMessage } from './blocks/runMessage.ts';
import { loadRunView, loadTargetGroups } from './loadRunView.ts';
import type { Sender } from './sender.ts';
import { getRunTargeting } from '../db/queries/targeting.ts';

/**
 * The executor's notifier, wired to Slack: one parent message per run kept current (coalesced
 * chat.update) and a few thread replies (started, notes, final summary). Never throws into the executor.
 */
export const createSlackRunNotifier = (deps: { pool: DatabasePool; registry: ToolRegistry; sender: Sender; logger: Logger }): RunNotifier => {
  const safely = (what: string, fn: () => Promise<void>) => async (): Promise<void> => {
    try {
      await fn();
    } catch (error) {
      deps.logger.warn({ err: error }, `slack notification failed: ${what}`);
    }
  };
  const withRun = async (runId: string) => loadRunView(deps.pool, deps.registry, runId);

  return {
    runStarted: ({ runId }) =>
      safely('started', async () => {
        const loaded = await withRun(runId);
        if (!loaded?.row.message_ts) return;
        deps.sender.update(loaded.row.channel_id, loaded.row.message_ts, runMessage(loaded.view));
        await deps.sender.post(loaded.row.channel_id, { text: `:rocket: Started: sending to ${loaded.view.targetCount} instance(s).` }, loaded.row.message_ts);
      })(),
    runProgress: ({ runId }, counts) =>
      safely('progress', async () => {
        const loaded = await withRun(runId);
        if (!loaded?.row.message_ts) return;
        deps.sender.update(loaded.row.channel_id, loaded.row.message_ts, runMessage(loaded.view, counts));
      })(),
    runNote: ({ runId }, text) =>
      safely('note', async () => {
        const loaded = await withRun(runId);
        if (!loaded?.row.message_ts) return;
        await deps.sender.post(loaded.row.channel_id, { text }, loaded.row.message_ts);
      })(),
    runFinished: ({ runId }, status, counts, notable) =>
      safely('finished', async () => {
        const loaded = await withRun(runId);
        if (!loaded) return;
        const { row, view } = loaded;
        if (row.message_ts) {
          deps.sender.update(row.channel_id, row.message_ts, runMessage(view, counts));
          if (status === 'expired') {
            await deps.sender.post(row.channel_id, { text: `:alarm_clock: ${mention(row.requester_id)} your request expired without approval. Submit it again if it is still needed.` }, row.message_ts);
          } else {
            await deps.sender.post(row.channel_id, summaryMessage(view, status, counts, notable), row.message_ts);
          }
        }
        if (status === 'expired' && row.approval_ts) {
          const groups = await loadTargetGroups(deps.pool, runId);
          const approvedBy = await listApprovers(deps.pool, runId);
          deps.sender.update(row.approval_channel_id, row.approval_ts, approvalMessage(view, groups, { approvedBy, decided: { status: 'expired' }, targeting: await getRunTargeting(deps.pool, runId) }));
        }
      })(),
  };
};

import { escapeText } from '../domain/escapeText.ts';
import { appendAudit, hasAuditEvent } from '../db/queries/audit.ts';
import { countExecutionsByStatus, finishOpenExecutions } from '../db/queries/executions.ts';
import { oweRunFinished, oweRunParent, oweRunReply } from '../db/queries/outbox.ts';
import { claimScheduledRuns, rescheduleRun, transitionRun, type RunRow } from '../db/queries/runs.ts';
import { isFrozen } from '../db/queries/settings.ts';
import type { ExecutorDeps } from './executorDeps.ts';

const DEFAULT_CHECK_MS = 5 * 60_000;
// ServiceNow did not answer (or refused the bot): no verdict on the change, so the run keeps waiting.
const UNANSWERED: ReadonlySet<string> = new Set(['servicenow_unavailable', 'servicenow_auth']);

/**
 * Scheduled runs (approved before their change window opened), claimed by one replica at a time. Each is
 * checked against ServiceNow again (fail closed): a change that no longer allows the work ends the run,
 * nothing sent; an unanswered check keeps it waiting (never started unverified); a window that has not opened (or moved) keeps it waiting; an open window moves it to
 * `approved`, and the claim loop starts it like any approved run. While a freeze is on, a due run is not
 * started (only its change is still checked); it starts after the thaw if its window is still open.
 * Returns how many were moved to approved.
 */
export const startScheduledRuns = async (deps: ExecutorDeps, limit: number): Promise<number> => {
  const frozen = await isFrozen(deps.pool);
  const claimed = await claimScheduledRuns(deps.pool, { owner: deps.owner, leaseSeconds: deps.settings.leaseSeconds, limit, frozen });
  let started = 0;
  for (const run of claimed) {
    const verdict = await deps.changes.verify(run.change_number, undefined, { allowScheduled: true });
    const checkMs = deps.settings.scheduleCheckMs ?? DEFAULT_CHECK_MS;
    if (!verdict.ok && UNANSWERED.has(verdict.code)) {
      // Fail closed without giving up: nothing starts unverified, and the change is asked again soon.
      await rescheduleRun(deps.pool, {
        id: run.id,
        owner: deps.owner,
        scheduledFor: null,
        nextCheckAt: new Date(Date.now() + Math.min(checkMs, 30_000)),
      });
      continue;
    }
    if (!verdict.ok) {
      await endScheduled(deps, run, verdict.code, verdict.message);
      continue;
    }
    const opensAt = verdict.change.plannedStart?.getTime() ?? Date.now();
    if (frozen && Date.now() >= opensAt) await noteHeldByFreeze(deps, run);
    if (Date.now() < opensAt || frozen) {
      const nextCheckAt = new Date(Math.min(Date.now() + checkMs, Math.max(opensAt, Date.now() + 1000)));
      const kept = await rescheduleRun(deps.pool, {
        id: run.id,
        owner: deps.owner,
        scheduledFor: new Date(opensAt),
        nextCheckAt: frozen ? new Date(Date.now() + checkMs) : nextCheckAt,
      });
      // The window moved in ServiceNow: the parent message shows the new start.
      if (kept && run.scheduled_for !== opensAt) await oweRunParent(deps.pool, run.id);
      continue;
    }
    const moved = await deps.pool.transaction(async (tx) => {
      const row = await transitionRun(tx, run.id, ['scheduled'], 'approved', { owner: deps.owner });
      if (row) {
        await appendAudit(tx, {
          runId: run.id,
          actor: 'executor',
          action: 'schedule_due',
          fromStatus: 'scheduled',
          toStatus: 'approved',
          correlationId: run.correlation_id,
          data: { windowStart: new Date(opensAt).toISOString(), owner: deps.owner },
        });
      }
      return row;
    });
    if (moved) started += 1;
  }
  return started;
};

/** Due while a freeze is on: said once in the thread (and audited); it starts after the thaw if still in its window. */
const noteHeldByFreeze = async (deps: ExecutorDeps, run: RunRow): Promise<void> => {
  await deps.pool.transaction(async (tx) => {
    if (await hasAuditEvent(tx, run.id, 'dispatch_held')) return;
    await appendAudit(tx, {
      runId: run.id,
      actor: 'executor',
      action: 'dispatch_held',
      reason: 'change freeze',
      correlationId: run.correlation_id,
    });
    await oweRunReply(tx, run.id, {
      kind: 'text',
      text: ':snowflake: The change window is open but a change freeze is on: the run starts once an admin lifts it (`/ops freeze off`), if its window is still open.',
    });
  });
};

/** The change no longer allows the work: the run ends as failed, nothing sent, the reason in its thread. */
const endScheduled = async (deps: ExecutorDeps, run: RunRow, code: string, message: string): Promise<void> => {
  const ended = await deps.pool.transaction(async (tx) => {
    const row = await transitionRun(tx, run.id, ['scheduled'], 'failed', { owner: deps.owner, outcome: { notStarted: code } });
    if (!row) return false;
    await finishOpenExecutions(tx, run.id, 'not_sent', `not started: ${code}`);
    const counts = await countExecutionsByStatus(tx, run.id);
    await appendAudit(tx, {
      runId: run.id,
      actor: 'executor',
      action: 'finished',
      fromStatus: 'scheduled',
      toStatus: 'failed',
      reason: message,
      correlationId: run.correlation_id,
      data: { code, counts },
    });
    await oweRunReply(tx, run.id, { kind: 'text', text: `:octagonal_sign: Not started; nothing was sent: ${escapeText(message)}` });
    await oweRunFinished(tx, run.id, { kind: 'summary', status: 'failed', counts, notable: [] });
    return true;
  });
  if (ended) {
    deps.logger.info({ runId: run.id, code }, 'scheduled run ended: its change no longer allows the work');
    await deps.notifier.runFinished({ runId: run.id }, 'failed', {}, []);
  }
};

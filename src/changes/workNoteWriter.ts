import type { Logger } from 'pino';
import type { DatabasePool } from 'slonik';
import { workNoteText } from '../domain/workNoteText.ts';
import { listApprovers } from '../db/queries/approvals.ts';
import { appendAudit } from '../db/queries/audit.ts';
import { getChangeSysId } from '../db/queries/changes.ts';
import { getRun } from '../db/queries/runs.ts';
import {
  claimDueWorkNotes,
  markWorkNoteFailed,
  markWorkNoteWritten,
  scheduleWorkNoteRetry,
  type WorkNoteRow,
} from '../db/queries/workNotes.ts';
import type { ToolRegistry } from '../tools/registry.ts';
import { backoffMs, createDeliveryLoop } from '../jobs/createDeliveryLoop.ts';
import type { ServiceNowClient } from './serviceNowClient.ts';

const STOP_GRACE_MS = 5_000;

/** What a work note links to, resolved outside this folder (main.ts wires Slack in). */
export type WorkNoteLinks = {
  /** A permanent link to the run's Slack thread (chat.getPermalink), or undefined. */
  readonly permalink: (channel: string, ts: string) => Promise<string | undefined>;
  /** How a Slack user reads in ServiceNow, e.g. "Alice Smith (U0123)". */
  readonly userLabel: (userId: string) => Promise<string>;
};

export type WorkNoteWriter = {
  readonly start: () => void;
  /** Look for due notes now instead of at the next interval. */
  readonly wake: () => void;
  /** Writes every note that is due now (tests, shutdown); notes waiting for a retry stay queued. */
  readonly drain: () => Promise<void>;
  readonly stop: () => Promise<void>;
};

export type WorkNoteWriterOptions = {
  readonly pool: DatabasePool;
  readonly client: ServiceNowClient;
  readonly registry: ToolRegistry;
  readonly links: WorkNoteLinks;
  readonly logger: Logger;
  readonly intervalMs?: number;
  /** Attempts before a note is given up (kept with its error, audited). Default 10. */
  readonly maxAttempts?: number;
  /** First retry delay; doubles per attempt up to maxRetrySeconds. Default 5 s (max 300 s). */
  readonly retryBaseSeconds?: number;
  readonly maxRetrySeconds?: number;
};

/**
 * Sends queued work notes to the change in ServiceNow, on the shared delivery loop (src/jobs/createDeliveryLoop.ts).
 * A failure is retried with backoff and never touches the run: notes are queued by the notifier and written
 * here, apart from the executor.
 */
export const createWorkNoteWriter = (o: WorkNoteWriterOptions): WorkNoteWriter => {
  const intervalMs = o.intervalMs ?? 2_000;
  const maxAttempts = o.maxAttempts ?? 10;
  const base = o.retryBaseSeconds ?? 5;
  const cap = o.maxRetrySeconds ?? 300;
  const log = o.logger.child({ component: 'work-notes' });

  const safeLink = async (channel: string, ts: string): Promise<string | null> => {
    try {
      return (await o.links.permalink(channel, ts)) ?? null;
    } catch (error) {
      log.warn({ err: error }, 'could not get the Slack permalink for a work note');
      return null;
    }
  };

  const compose = async (note: WorkNoteRow): Promise<{ sysId: string; text: string } | { error: string }> => {
    const run = await getRun(o.pool, note.run_id);
    if (!run) return { error: `run ${note.run_id} does not exist` };
    let sysId = await getChangeSysId(o.pool, note.change_number);
    sysId ??= (await o.client.getChange(note.change_number))?.sysId ?? null;
    if (!sysId) return { error: `change ${note.change_number} is not known to ServiceNow` };
    const approvers = await Promise.all((await listApprovers(o.pool, run.id)).map((id) => o.links.userLabel(id)));
    const text = workNoteText({
      kind: note.kind,
      runId: run.id,
      tool: run.tool,
      toolTitle: o.registry.byId(run.tool)?.title ?? run.tool,
      action: run.action,
      actionTitle: o.registry.action(run.tool, run.action)?.title ?? run.action,
      requester: await o.links.userLabel(run.requester_id),
      approvers,
      targetCount: run.target_count,
      scriptSha256: run.script_sha256,
      ...(note.kind === 'finished' ? { status: note.status ?? run.status, counts: note.counts } : {}),
      threadLink: run.message_ts ? await safeLink(run.channel_id, run.message_ts) : null,
    });
    return { sysId, text };
  };

  const giveUp = async (note: WorkNoteRow, error: string): Promise<void> => {
    await markWorkNoteFailed(o.pool, note.id, error);
    await appendAudit(o.pool, {
      runId: note.run_id,
      actor: 'pcm-ops',
      action: 'work_note_failed',
      reason: error,
      data: { kind: note.kind, change: note.change_number, attempts: note.attempts },
    });
    log.error({ runId: note.run_id, kind: note.kind, change: note.change_number, attempts: note.attempts, error }, 'work note given up');
  };

  const writeOne = async (note: WorkNoteRow): Promise<void> => {
    let error: string;
    try {
      const composed = await compose(note);
      if ('error' in composed) {
        await giveUp(note, composed.error);
        return;
      }
      await o.client.addWorkNote(composed.sysId, composed.text);
      await markWorkNoteWritten(o.pool, note.id);
      await appendAudit(o.pool, {
        runId: note.run_id,
        actor: 'pcm-ops',
        action: 'work_note_written',
        data: { kind: note.kind, change: note.change_number, attempts: note.attempts },
      });
      log.info({ runId: note.run_id, kind: note.kind, change: note.change_number }, 'work note written');
      return;
    } catch (e) {
      error = (e as Error).message;
    }
    if (note.attempts >= maxAttempts) {
      await giveUp(note, error);
      return;
    }
    const delay = backoffMs(note.attempts, base, cap);
    await scheduleWorkNoteRetry(o.pool, note.id, error, delay);
    log.warn(
      { runId: note.run_id, kind: note.kind, attempt: note.attempts, retryInSeconds: delay, error },
      'work note not written; will retry',
    );
  };

  const loop = createDeliveryLoop<WorkNoteRow>({
    what: 'work note',
    logger: log,
    intervalMs,
    stopGraceMs: STOP_GRACE_MS,
    // A claim holds a note for longer than one write can take (ServiceNow timeouts and retries included).
    claim: () => claimDueWorkNotes(o.pool, { limit: 10, leaseSeconds: 120 }),
    deliver: (note) => writeOne(note),
    // The claim pushed the next attempt out by its lease: the note is tried again then, on any replica.
    onFault: async (note, error) => log.error({ err: error, runId: note.run_id }, 'work note writer fault'),
  });

  return {
    start: loop.start,
    wake: loop.wake,
    drain: loop.drain,
    // A write in flight gets a few seconds; otherwise its claim lapses and any replica retries the note.
    stop: () => loop.stop(),
  };
};

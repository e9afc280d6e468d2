import type { DatabasePool } from 'slonik';
import type { ChangeVerifier } from '../changes/changeVerifier.ts';
import { decideApproval, decideRejection } from '../domain/approvalPolicy.ts';
import { refuse, type Refusal } from '../domain/refusal.ts';
import type { Roster } from '../domain/roster.ts';
import { appendAudit, appendRefusal } from '../db/queries/audit.ts';
import { insertApproval, listApprovers } from '../db/queries/approvals.ts';
import { listRunCoverageTargets } from '../db/queries/changes.ts';
import type { Db } from '../db/queries/db.ts';
import { oweDecision } from '../db/queries/outbox.ts';
import { getRun, lockRun, transitionRun, type RunRow } from '../db/queries/runs.ts';
import { getFreeze } from '../db/queries/settings.ts';

export type ApproveResult =
  { readonly ok: true; readonly final: boolean; readonly run: RunRow; readonly approvers: readonly string[] } | Refusal;
export type RejectResult = { readonly ok: true; readonly run: RunRow } | Refusal;

export type RunDecider = {
  readonly approve: (p: { runId: string; approverId: string; clickedDigest: string }) => Promise<ApproveResult>;
  /** Whether this person may reject this run now (asked before the reason modal opens). */
  readonly canReject: (p: { runId: string; approverId: string }) => Promise<{ readonly ok: true } | Refusal>;
  readonly reject: (p: { runId: string; approverId: string; reason: string }) => Promise<RejectResult>;
};

/** Who may approve runs of a tool (Slack user ids), e.g. the approver directory's `forTool`. */
export type ApproversFor = (toolId: string) => Promise<Roster>;

const rejectRule = (run: RunRow, userId: string, allowed: Roster): { ok: true } | Refusal =>
  decideRejection({ rejecterId: userId, run: { status: run.status, requesterId: run.requester_id }, allowedApprovers: allowed });

/**
 * Approvals serialise on the run row (`for update`) and end in a guarded transition, so any number of
 * concurrent clicks, on any replica, produce at most one `approved`. The change is re-checked in
 * ServiceNow before the approval is recorded (fail closed). Every refused attempt is audited too.
 */
export const createRunDecider = (deps: {
  readonly pool: DatabasePool;
  readonly changes: ChangeVerifier;
  readonly approversFor: ApproversFor;
  readonly onApproved?: (runId: string) => void;
}): RunDecider => {
  const audited = async (run: RunRow, actor: string, attempted: string, refusal: Refusal): Promise<Refusal> =>
    appendRefusal(deps.pool, { actor, attempted, refusal, runId: run.id, correlationId: run.correlation_id });

  return {
    approve: async ({ runId, approverId, clickedDigest }) => {
      const current = await getRun(deps.pool, runId);
      if (!current) return refuse('not_found', 'That request no longer exists. Ask the requester to submit it again.');
      const allowed = await deps.approversFor(current.tool);
      const check = async (run: RunRow, db: Db) =>
        decideApproval({
          approverId,
          clickedDigest,
          allowedApprovers: allowed,
          priorApprovers: await listApprovers(db, run.id),
          frozen: await getFreeze(db),
          now: new Date(),
          run: {
            status: run.status,
            requesterId: run.requester_id,
            planDigest: run.plan_digest,
            approvalsRequired: run.approvals_required,
            approvalExpiresAt: new Date(run.approval_expires_at),
          },
        });
      const pre = await check(current, deps.pool);
      if (!pre.ok) return audited(current, approverId, 'approval', pre);
      // A change whose window opens later passes: the run is then scheduled for the window's start.
      const change = await deps.changes.verify(current.change_number, await listRunCoverageTargets(deps.pool, runId), {
        allowScheduled: true,
      });
      if (!change.ok) return audited(current, approverId, 'approval', refuse(change.code, `Not approved: ${change.message}`));

      const result = await deps.pool.transaction(async (tx): Promise<ApproveResult> => {
        const run = await lockRun(tx, runId);
        if (!run) return refuse('not_found', 'That request no longer exists. Ask the requester to submit it again.');
        const verdict = await check(run, tx);
        if (!verdict.ok) return verdict;
        const inserted = await insertApproval(tx, { runId, approverId, decision: 'approved', reason: null, planDigest: run.plan_digest });
        if (!inserted)
          return refuse('already_approved', 'You already approved this request; a second approval must come from a different person.');
        const approvers = await listApprovers(tx, runId);
        await appendAudit(tx, {
          runId,
          actor: approverId,
          action: 'approval_recorded',
          correlationId: run.correlation_id,
          data: { planDigest: run.plan_digest, approvals: approvers.length, required: run.approvals_required },
        });
        const told = { by: approverId, approvals: approvers.length, required: run.approvals_required };
        if (!verdict.final) {
          await oweDecision(tx, runId, { event: 'approval_recorded', ...told });
          return { ok: true, final: false, run, approvers };
        }
        const startsAt = change.startsAt ?? null;
        const to = startsAt ? 'scheduled' : 'approved';
        const moved = await transitionRun(tx, runId, ['pending_approval'], to, startsAt ? { scheduledFor: startsAt } : {});
        if (!moved) return refuse('not_pending', 'This request was decided by someone else a moment ago; nothing more to do.');
        await appendAudit(tx, {
          runId,
          actor: approverId,
          action: 'approved',
          fromStatus: 'pending_approval',
          toStatus: to,
          correlationId: run.correlation_id,
          data: { approvers, ...(startsAt ? { scheduledFor: startsAt.toISOString() } : {}) },
        });
        // The Slack messages it owes, in this transaction: "Approved by" is in the thread before "Started".
        await oweDecision(tx, runId, { event: 'approved', ...told, ...(startsAt ? { startsAt: startsAt.getTime() } : {}) });
        return { ok: true, final: true, run: moved, approvers };
      });
      if (!result.ok) return audited(current, approverId, 'approval', result);
      if (result.final) deps.onApproved?.(runId);
      return result;
    },

    canReject: async ({ runId, approverId }) => {
      const run = await getRun(deps.pool, runId);
      if (!run) return refuse('not_found', 'That request no longer exists; nothing to reject.');
      const rule = rejectRule(run, approverId, await deps.approversFor(run.tool));
      return rule.ok ? rule : audited(run, approverId, 'rejection', rule);
    },

    reject: async ({ runId, approverId, reason }) => {
      const current = await getRun(deps.pool, runId);
      if (!current) return refuse('not_found', 'That request no longer exists; nothing to reject.');
      const allowed = await deps.approversFor(current.tool);
      const result = await deps.pool.transaction(async (tx): Promise<RejectResult> => {
        const run = await lockRun(tx, runId);
        if (!run) return refuse('not_found', 'That request no longer exists; nothing to reject.');
        const rule = rejectRule(run, approverId, allowed);
        if (!rule.ok) return rule;
        const moved = await transitionRun(tx, runId, ['pending_approval'], 'rejected');
        if (!moved) return refuse('not_pending', 'This request was decided by someone else a moment ago; nothing to reject.');
        await insertApproval(tx, { runId, approverId, decision: 'rejected', reason, planDigest: run.plan_digest });
        await appendAudit(tx, {
          runId,
          actor: approverId,
          action: 'rejected',
          fromStatus: 'pending_approval',
          toStatus: 'rejected',
          reason,
          correlationId: run.correlation_id,
        });
        await oweDecision(tx, runId, { event: 'rejected', by: approverId, reason, approvals: 0, required: run.approvals_required });
        return { ok: true, run: moved };
      });
      return result.ok ? result : audited(current, approverId, 'rejection', result);
    },
  };
};

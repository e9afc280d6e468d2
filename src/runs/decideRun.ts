import type { DatabasePool } from 'slonik';
import type { ChangeVerifier } from '../changes/changeVerifier.ts';
import { decideApproval } from '../domain/approvalPolicy.ts';
import { refuse, type Refusal } from '../domain/refusal.ts';
import { appendAudit } from '../db/queries/audit.ts';
import { insertApproval, listApprovers } from '../db/queries/approvals.ts';
import { getRun, lockRun, transitionRun, type RunRow } from '../db/queries/runs.ts';
import { getFreeze } from '../db/queries/settings.ts';

export type ApproveResult = { readonly ok: true; readonly final: boolean; readonly run: RunRow; readonly approvers: readonly string[] } | Refusal;
export type RejectResult = { readonly ok: true; readonly run: RunRow } | Refusal;

export type RunDecider = {
  readonly approve: (p: { runId: string; approverId: string; clickedDigest: string }) => Promise<ApproveResult>;
  readonly reject: (p: { runId: string; approverId: string; reason: string }) => Promise<RejectResult>;
};

/**
 * Approvals serialise on the run row (`for update`) and end in a guarded transition, so any number of
 * concurrent clicks, on any replica, produce at most one `approved`. The change is re-checked in
 * ServiceNow before the approval is recorded (fail closed).
 */
export const createRunDecider = (deps: {
  readonly pool: DatabasePool;
  readonly changes: ChangeVerifier;
  readonly approvers: () => Promise<ReadonlySet<string>>;
  readonly onApproved?: (runId: string) => void;
}): RunDecider => ({
  approve: async ({ runId, approverId, clickedDigest }) => {
    const allowed = await deps.approvers();
    const check = async (run: RunRow, db: DatabasePool | Parameters<Parameters<DatabasePool['transaction']>[0]>[0]) =>
      decideApproval({
        approverId,
        clickedDigest,
        allowedApprovers: allowed,
        priorApprovers: await listApprovers(db, run.id),
        frozen: await getFreeze(db),
        now: new Date(),
        run: {
          status: run.status, requesterId: run.requester_id, planDigest: run.plan_digest,
          approvalsRequired: run.approvals_required, approvalExpiresAt: new Date(run.approval_expires_at),
        },
      });
    const current = await getRun(deps.pool, runId);
    if (!current) return refuse('not_found', 'That request no longer exists.');
    const pre = await check(current, deps.pool);
    if (!pre.ok) return pre;
    const change = await deps.changes.verify(current.change_number);
    if (!change.ok) return refuse(change.code, `Not approved: ${change.message}`);

    const result = await deps.pool.transaction(async (tx): Promise<ApproveResult> => {
      const run = await lockRun(tx, runId);
      if (!run) return refuse('not_found', 'That request no longer exists.');
      const verdict = await check(run, tx);
      if (!verdict.ok) return verdict;
      const inserted = await insertApproval(tx, { runId, approverId, decision: 'approved', reason: null, planDigest: run.plan_digest });
      if (!inserted) return refuse('already_approved', 'You already approved this request.');
      await appendAudit(tx, { runId, actor: approverId, action: 'approval_recorded', correlationId: run.correlation_id, data: { planDigest: run.plan_digest } });
      const approvers = await listApprovers(tx, runId);
      if (!verdict.final) return { ok: true, final: false, run, approvers };
      const moved = await transitionRun(tx, runId, ['pending_approval'], 'approved');
      if (!moved) return refuse('not_pending', 'This request was decided by someone else a moment ago.');
      await appendAudit(tx, { runId, actor: approverId, action: 'approved', fromStatus: 'pending_approval', toStatus: 'approved', correlationId: run.correlation_id });
      return { ok: true, final: true, run: moved, approvers };
    });
    if (result.ok && result.final) deps.onApproved?.(runId);
    return result;
  },

  reject: async ({ runId, approverId, reason }) => {
    const allowed = await deps.approvers();
    return deps.pool.transaction(async (tx): Promise<RejectResult> => {
      const run = await lockRun(tx, runId);
      if (!run) return refuse('not_found', 'That request no longer exists.');
      // The requester may withdraw their own request; anyone else must be an approver.
      if (approverId !== run.requester_id && !allowed.has(approverId)) {
        return refuse('not_approver', 'Only an approver (or the requester) can reject this request.');
      }
      const moved = await transitionRun(tx, runId, ['pending_approval'], 'rejected');
      if (!moved) return refuse('not_pending', `This request is already ${run.status.replace('_', ' ')}.`);
      await insertApproval(tx, { runId, approverId, decision: 'rejected', reason, planDigest: run.plan_digest });
      await appendAudit(tx, {
        runId, actor: approverId, action: 'rejected', fromStatus: 'pending_approval', toStatus: 'rejected', reason, correlationId: run.correlation_id,
      });
      return { ok: true, run: moved };
    });
  },
});

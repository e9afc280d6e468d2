import { refuse, type Refusal } from './refusal.ts';
import type { RunStatus } from './runStatus.ts';

export type ApprovalContext = {
  readonly approverId: string;
  readonly run: {
    readonly status: RunStatus;
    readonly requesterId: string;
    readonly planDigest: string;
    readonly approvalsRequired: number;
    readonly approvalExpiresAt: Date;
  };
  /** Digest shown on the button the approver clicked. */
  readonly clickedDigest: string;
  /** Allowed approvers by Slack user id only (explicit ids plus the group's members). */
  readonly allowedApprovers: ReadonlySet<string>;
  /** Who already approved this run. */
  readonly priorApprovers: readonly string[];
  readonly frozen: { readonly on: boolean; readonly reason?: string };
  readonly now: Date;
};

export type ApprovalVerdict = { readonly ok: true; readonly final: boolean } | Refusal;

/** Four-eyes: may this person approve this exact plan now? Pure, so every rule is table-tested. */
export const decideApproval = (c: ApprovalContext): ApprovalVerdict => {
  if (c.run.status !== 'pending_approval') {
    return refuse('not_pending', `This request is already ${c.run.status.replace('_', ' ')}; nothing to approve.`);
  }
  if (c.now.getTime() > c.run.approvalExpiresAt.getTime()) {
    return refuse('expired', 'This request has expired. Ask the requester to submit it again.');
  }
  if (c.approverId === c.run.requesterId) {
    return refuse('self_approval', 'You cannot approve your own request. Ask another approver.');
  }
  if (!c.allowedApprovers.has(c.approverId)) {
    return refuse('not_approver', 'You are not in the approvers group for this tool. Ask a member of the approvers group.');
  }
  if (c.clickedDigest !== c.run.planDigest) {
    return refuse('digest_mismatch', 'The plan changed since this message was posted; approve the current request instead.');
  }
  if (c.priorApprovers.includes(c.approverId)) {
    return refuse('already_approved', 'You already approved this request; a second approval must come from a different person.');
  }
  if (c.frozen.on) {
    return refuse('frozen', `A change freeze is on${c.frozen.reason ? ` (${c.frozen.reason})` : ''}: no approvals until it is lifted.`);
  }
  return { ok: true, final: c.priorApprovers.length + 1 >= c.run.approvalsRequired };
};

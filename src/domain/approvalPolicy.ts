import { refuse, type Refusal } from './refusal.ts';
import type { Roster } from './roster.ts';
import type { RunStatus } from './runStatus.ts';
import { statusLabel } from './statusLabel.ts';

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
  /** Allowed approvers by Slack user id only (explicit ids plus the groups' members), and whether Slack confirmed the groups. */
  readonly allowedApprovers: Roster;
  /** Who already approved this run. */
  readonly priorApprovers: readonly string[];
  readonly frozen: { readonly on: boolean; readonly reason?: string };
  readonly now: Date;
};

export type ApprovalVerdict = { readonly ok: true; readonly final: boolean } | Refusal;

/** Said when a person is not on an approvers roster that Slack could not confirm (fail closed). */
export const APPROVERS_UNVERIFIED =
  'The approvers of this tool could not be verified with Slack just now, so nothing was done. Try again in a few minutes; if it keeps failing, tell the bot operators.';

export type RejectionContext = {
  readonly rejecterId: string;
  readonly run: { readonly status: RunStatus; readonly requesterId: string };
  readonly allowedApprovers: Roster;
};

/** May this person reject (or, as the requester, withdraw) this request now? */
export const decideRejection = (c: RejectionContext): { readonly ok: true } | Refusal => {
  // The requester may withdraw their own request; anyone else must be an approver of the tool.
  if (c.rejecterId !== c.run.requesterId && !c.allowedApprovers.members.has(c.rejecterId)) {
    if (!c.allowedApprovers.verified) return refuse('approvers_unverified', APPROVERS_UNVERIFIED);
    return refuse('not_approver', 'Only an approver of this tool (or the requester) can reject this request. Ask one of them.');
  }
  if (c.run.status !== 'pending_approval') {
    return refuse(
      'not_pending',
      `This request is already ${statusLabel(c.run.status)}; nothing to reject. Its thread shows what happened.`,
    );
  }
  return { ok: true };
};

/** Four-eyes: may this person approve this exact plan now? Pure, so every rule is table-tested. */
export const decideApproval = (c: ApprovalContext): ApprovalVerdict => {
  if (c.run.status !== 'pending_approval') {
    return refuse(
      'not_pending',
      `This request is already ${statusLabel(c.run.status)}; nothing to approve. Its thread shows what happened.`,
    );
  }
  if (c.now.getTime() > c.run.approvalExpiresAt.getTime()) {
    return refuse('expired', 'This request has expired. Ask the requester to submit it again.');
  }
  if (c.approverId === c.run.requesterId) {
    return refuse('self_approval', 'You cannot approve your own request. Ask another approver.');
  }
  if (!c.allowedApprovers.members.has(c.approverId)) {
    if (!c.allowedApprovers.verified) return refuse('approvers_unverified', APPROVERS_UNVERIFIED);
    return refuse('not_approver', 'You are not in the approvers group for this tool. Ask a member of the approvers group.');
  }
  if (c.clickedDigest !== c.run.planDigest) {
    return refuse('digest_mismatch', 'The plan changed since this message was posted; approve the current request instead.');
  }
  if (c.priorApprovers.includes(c.approverId)) {
    return refuse('already_approved', 'You already approved this request; a second approval must come from a different person.');
  }
  if (c.frozen.on) {
    return refuse(
      'frozen',
      `A change freeze is on${c.frozen.reason ? ` (${c.frozen.reason})` : ''}: no approvals until it is lifted. Approve again once an admin runs \`/ops freeze off\`.`,
    );
  }
  return { ok: true, final: c.priorApprovers.length + 1 >= c.run.approvalsRequired };
};

/** When a second, different approver is required on top of the action's own setting. */
export const secondApprovalPolicies = ['off', 'mutating', 'govcloud-mutating'] as const;
export type SecondApprovalPolicy = (typeof secondApprovalPolicies)[number];

/**
 * How many distinct approvers a new run needs: the action's own `approval.approvals`, raised to two
 * when the policy asks for a second approval (every mutating action, or mutating actions that touch
 * GovCloud). Never lowered.
 */
export const requiredApprovals = (p: {
  readonly actionApprovals: number;
  readonly mutates: boolean;
  readonly partitions: readonly string[];
  readonly policy: SecondApprovalPolicy;
}): 1 | 2 => {
  const second = p.mutates && (p.policy === 'mutating' || (p.policy === 'govcloud-mutating' && p.partitions.includes('aws-us-gov')));
  return second || p.actionApprovals >= 2 ? 2 : 1;
};

/** Where the approvers of a tool come from: Slack user ids and user groups (their members). */
export type ApproverSources = { readonly userIds: readonly string[]; readonly groupIds: readonly string[] };

/**
 * A tool with its own approvers (TOOL_APPROVER_GROUPS) is approved only by them; every other tool by the
 * global approvers (APPROVER_USER_IDS / APPROVER_USERGROUP_ID). Entries are user group ids (S…) or user
 * ids (U…/W…).
 */
export const approverSourcesFor = (
  toolId: string,
  global: ApproverSources,
  perTool: Readonly<Record<string, readonly string[]>>,
): ApproverSources => {
  const own = perTool[toolId];
  if (!own || own.length === 0) return global;
  return { userIds: own.filter((id) => !id.startsWith('S')), groupIds: own.filter((id) => id.startsWith('S')) };
};

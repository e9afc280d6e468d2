import { APPROVERS_UNVERIFIED } from './approvalPolicy.ts';
import { refuse, type Refusal } from './refusal.ts';
import type { Roster } from './roster.ts';
import type { RunStatus } from './runStatus.ts';
import { statusLabel } from './statusLabel.ts';

export type HaltContext = {
  readonly userId: string;
  readonly run: { readonly status: RunStatus; readonly requesterId: string };
  /** The approvers of the run's tool. */
  readonly approvers: Roster;
};

const notHalted = (status: RunStatus): Refusal =>
  refuse('not_halted', `This run is ${statusLabel(status)}, not halted; there is nothing to continue or stop.`);

/**
 * Continue a halted rollout: it sends more to hosts after failures, so it takes the same second person an
 * approval does (an approver of the tool, never the requester). Pure; table-tested.
 */
export const decideContinue = (c: HaltContext): { readonly ok: true } | Refusal => {
  if (c.userId === c.run.requesterId) {
    return refuse('requester_cannot_continue', 'You requested this run, so you cannot continue it: ask an approver of this tool.');
  }
  if (!c.approvers.members.has(c.userId)) {
    if (!c.approvers.verified) return refuse('approvers_unverified', APPROVERS_UNVERIFIED);
    return refuse('not_allowed', 'Only an approver of this tool (not the requester) can continue a halted rollout.');
  }
  return c.run.status === 'halted' ? { ok: true } : notHalted(c.run.status);
};

/** Stop a halted rollout (nothing more is sent): the requester or an approver, like a cancel. Pure; table-tested. */
export const decideStop = (c: HaltContext): { readonly ok: true } | Refusal => {
  if (c.userId !== c.run.requesterId && !c.approvers.members.has(c.userId)) {
    if (!c.approvers.verified) return refuse('approvers_unverified', APPROVERS_UNVERIFIED);
    return refuse('not_allowed', 'Only the requester or an approver of this tool can stop this run.');
  }
  return c.run.status === 'halted' ? { ok: true } : notHalted(c.run.status);
};

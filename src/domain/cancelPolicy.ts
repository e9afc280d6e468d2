import { APPROVERS_UNVERIFIED } from './approvalPolicy.ts';
import { refuse, type Refusal } from './refusal.ts';
import type { Roster } from './roster.ts';
import type { RunStatus } from './runStatus.ts';
import { statusLabel } from './statusLabel.ts';

export type CancelContext = {
  readonly userId: string;
  readonly run: { readonly status: RunStatus; readonly requesterId: string; readonly cancelRequestedBy: string | null };
  /** The approvers of the run's tool. */
  readonly approvers: Roster;
};

/**
 * `cancel_now`: the run never started (pending approval, or scheduled for its change window), so it moves straight to cancelled. `request`: the run is approved
 * or running; the executor stops it (no further sends, CancelCommand for what was sent).
 */
export type CancelVerdict = { readonly ok: true; readonly mode: 'cancel_now' | 'request' } | Refusal;

/** Who may cancel a run, and how. Pure; table-tested. */
export const decideCancel = (c: CancelContext): CancelVerdict => {
  if (c.userId !== c.run.requesterId && !c.approvers.members.has(c.userId)) {
    if (!c.approvers.verified) return refuse('approvers_unverified', APPROVERS_UNVERIFIED);
    return refuse('not_allowed', 'Only the requester or an approver of this tool can cancel this run. Ask one of them.');
  }
  switch (c.run.status) {
    case 'pending_approval':
    case 'scheduled':
      return { ok: true, mode: 'cancel_now' };
    case 'approved':
    case 'running':
      if (c.run.cancelRequestedBy) {
        return refuse(
          'cancel_already_requested',
          'A cancel was already requested for this run; it is stopping. Its message shows who asked; follow its thread.',
        );
      }
      return { ok: true, mode: 'request' };
    case 'halted':
      return refuse('halted', 'This rollout is halted: nothing is in flight. Use Stop on its message to end it (or Continue to go on).');
    default:
      return refuse('already_ended', `This run already ended (${statusLabel(c.run.status)}); there is nothing to cancel.`);
  }
};

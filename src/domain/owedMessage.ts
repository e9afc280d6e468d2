import type { CauseGroup } from './failureCauses.ts';
import type { Halt } from './rolloutPolicy.ts';
import type { FinishedExecution } from './runNotifier.ts';
import type { StatusCounts } from './runOutcome.ts';

/**
 * What a reply in a run's thread says, stored with the outbox row when the state change happens and
 * rendered into Block Kit only when it is sent (src/outbox/), so db/, runs/ and executor/ never build Slack content.
 */
export type RunReply =
  /** Slack mrkdwn: every value from people, hosts or ServiceNow in it is already escaped. */
  | { readonly kind: 'text'; readonly text: string }
  /** The request was stored: who asked, where it waits for approval, the pre-flight counts (rendered from the run when sent). */
  | { readonly kind: 'submitted' }
  | { readonly kind: 'started'; readonly targetCount: number }
  | {
      readonly kind: 'summary';
      readonly status: string;
      readonly counts: StatusCounts;
      readonly notable: readonly FinishedExecution[];
      /** Failures grouped by cause, largest first (the first MAX_STORED_CAUSES), and how many causes there were. */
      readonly causes?: readonly CauseGroup[];
      readonly causeCount?: number;
    }
  | { readonly kind: 'expired' }
  /** The rollout halted (canary or error budget): the reply carries Continue and Stop. */
  | { readonly kind: 'halted'; readonly halt: Halt }
  /** "Submitted by …", with the pre-flight counts (rendered from the run's stored targeting). */
  | { readonly kind: 'submitted' }
  | { readonly kind: 'decision'; readonly decision: Decision };

/** A decision on a request, as its thread tells it. `reason` as the person typed it (escaped where shown). */
export type Decision = {
  readonly event: 'approved' | 'approval_recorded' | 'rejected' | 'cancelled' | 'cancel_requested' | 'continued' | 'stopped';
  readonly by: string;
  readonly reason?: string;
  /** Approvals recorded so far and how many the request needs. */
  readonly approvals: number;
  readonly required: number;
  /** Approved before the change window opened: when the run starts (epoch ms). */
  readonly startsAt?: number;
  /** Cancelled while scheduled (approved, waiting for its window) rather than before approval. */
  readonly wasScheduled?: boolean;
};

/** How a decided approval message reads (its buttons are gone once decided). */
export type ApprovalDecided = { readonly status: string; readonly by?: string; readonly reason?: string };

/** The change freeze switched (announced in the approvals channel). `reason` as typed (escaped where shown). */
export type FreezeNotice = { readonly on: boolean; readonly reason?: string; readonly by: string };

/**
 * A file the bot owes (issue 9): its content is generated from the database when it is sent (the frozen plan
 * for the target list, the executions for the results), so what is uploaded is what was approved or happened.
 * `approval_thread`: the approval message's thread; `run_thread`: the run's thread; `dm`: that person's DM.
 */
export type OwedFile =
  | { readonly file: 'target_list'; readonly to: { readonly kind: 'approval_thread' } }
  | { readonly file: 'results'; readonly to: { readonly kind: 'run_thread' } | { readonly kind: 'dm'; readonly user: string } };

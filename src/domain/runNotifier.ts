import type { StatusCounts } from './runOutcome.ts';
import type { RunStatus } from './runStatus.ts';

export type RunRef = { readonly runId: string };

export type FinishedExecution = {
  readonly instanceId: string;
  readonly accountId: string;
  readonly region: string;
  readonly status: string;
  readonly statusDetails: string | null;
  readonly summary: string | null;
  /** The rollout wave it was sent in (absent or null: no rollout). */
  readonly wave?: number | null;
};

/**
 * How the executor reports progress without knowing Slack: main.ts wires it to the Slack sender,
 * tests to a recorder. Implementations must not throw into the executor (best effort, logged).
 */
export type RunNotifier = {
  readonly runStarted: (run: RunRef) => Promise<void>;
  readonly runProgress: (run: RunRef, counts: StatusCounts, total: number) => Promise<void>;
  readonly runFinished: (run: RunRef, status: RunStatus, counts: StatusCounts, notable: readonly FinishedExecution[]) => Promise<void>;
  /** `text` is Slack mrkdwn: every value from people, hosts or ServiceNow in it is escaped (escapeText). */
  readonly runNote: (run: RunRef, text: string) => Promise<void>;
};

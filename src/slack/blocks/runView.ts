import type { Halt, RolloutPolicy } from '../../domain/rolloutPolicy.ts';

/** What the Slack builders need to know about a run (a plain projection of the database row). */
export type RunView = {
  readonly id: string;
  readonly tool: string;
  readonly toolTitle: string;
  readonly action: string;
  readonly actionTitle: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly requesterId: string;
  readonly changeNumber: string;
  readonly status: string;
  readonly scriptSha256: string;
  readonly planDigest: string;
  readonly mutates: boolean;
  readonly approvalsRequired: number;
  readonly targetCount: number;
  readonly correlationId: string;
  /** Who asked to cancel (the executor is stopping the run), if anyone. */
  readonly cancelRequestedBy: string | null;
  /** Epoch milliseconds. */
  readonly createdAt: number;
  readonly approvalExpiresAt: number;
  /** The rollout policy the run was approved with (null: everything at once). */
  readonly rollout?: RolloutPolicy | null;
  /** Why the rollout halted (the last halt), if it did. */
  readonly halt?: Halt | null;
  /** When a scheduled run starts (its change window opens), epoch ms; null when not scheduled. */
  readonly scheduledFor?: number | null;
  /** The run whose failed instances this one re-runs. */
  readonly rerunOf?: string | null;
};

export type TargetGroup = {
  readonly partition: string;
  readonly accountId: string;
  readonly region: string;
  readonly instanceIds: readonly string[];
};

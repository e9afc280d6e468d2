import type { z } from 'zod';
import type { RolloutDefinition } from '../domain/rolloutPolicy.ts';

/**
 * The shape every tool folder exports from `definition.ts` (as `default`).
 * A tool is a small set of pre-approved actions; each action names a script file in the tool's
 * `scripts/` folder. Script text never comes from a user: the registry reads it from disk at start.
 */
export type Platform = 'Linux' | 'Windows';

export type ActionDefinition = {
  /** Stable id, `[a-z0-9-]+`; stored on runs. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  /** File name inside the tool's `scripts/` folder, e.g. `initial-qc.sh`. */
  readonly script: string;
  readonly interpreter: 'bash';
  readonly platform: Platform;
  /**
   * Parameters as a zod object. Every field must be a strict allow-list (enum, regex, bounded number,
   * boolean). UI hints come from `.meta({ title, description, placeholder })` on each field.
   * Values reach the script only as environment variables named `PCM_PARAM_<UPPER_SNAKE_NAME>`.
   */
  readonly params: z.ZodObject;
  /** True when the action changes the host (installs, restarts, writes config). */
  readonly mutates: boolean;
  /** How many instances one run of this action may target. */
  readonly targets: { readonly min: number; readonly max: number };
  /** SSM delivery timeout (TimeoutSeconds) and AWS-RunShellScript executionTimeout. */
  readonly timeouts: { readonly deliverySeconds: number; readonly executionSeconds: number };
  /** SSM MaxConcurrency / MaxErrors for each SendCommand of this action. */
  readonly rate?: { readonly maxConcurrency: string; readonly maxErrors: string };
  /** Optional SSM output destinations (full output beyond SSM's 24,000/8,000 characters); location stored per execution. */
  readonly output?: {
    readonly s3Bucket?: string;
    readonly s3KeyPrefix?: string;
    readonly s3Region?: string;
    readonly cloudWatchLogGroup?: string;
  };
  /**
   * Rollout over the whole run (issue 10): a canary, waves and a fleet-wide error budget, enforced by the
   * executor across every account, region and partition (SSM's MaxConcurrency/MaxErrors apply only within
   * one 50-instance command). `bounds`: how far the requester may adjust it in the modal. Absent: the run
   * is dispatched at once with no budget (read-only checks, one-host actions).
   */
  readonly rollout?: RolloutDefinition;
  /** Approval policy: how many distinct approvers (besides the requester) must approve. */
  readonly approval: { readonly approvals: 1 | 2 };
  /**
   * Workflow linkage: the action may only target instances on which `action` of `tool`
   * succeeded under the same change number.
   */
  readonly requires?: { readonly tool: string; readonly action: string };
};

export type ToolDefinition = {
  /** Folder name and stable id, e.g. `qc-prep`. */
  readonly id: string;
  /** Slash command, e.g. `/qc-prep`. */
  readonly command: string;
  readonly title: string;
  readonly description: string;
  readonly actions: readonly ActionDefinition[];
  /** Tool-level settings the scripts read (never secrets), e.g. the SSM parameter name of a token. */
  readonly settings?: Readonly<Record<string, string>>;
};

/** Identity function that gives a tool folder type checking and one place to add invariants later. */
export const defineTool = (tool: ToolDefinition): ToolDefinition => tool;

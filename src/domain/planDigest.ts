import { createHash } from 'node:crypto';
import { hasRollout, type RolloutPolicy } from './rolloutPolicy.ts';

export type Plan = {
  readonly tool: string;
  readonly action: string;
  readonly scriptSha256: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly changeNumber: string;
  readonly targets: readonly {
    readonly instanceId: string;
    readonly accountId: string;
    readonly region: string;
    /** The rollout wave the target was assigned to (with a rollout policy). */
    readonly wave?: number | null;
  }[];
  /** The rollout policy the run was approved with; absent or null: everything at once. */
  readonly rollout?: RolloutPolicy | null;
};

const canonical = (value: unknown): unknown => {
  if (Array.isArray(value)) return value.map(canonical);
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
    );
  }
  return value;
};

/**
 * sha256 over exactly what an approver approves: script version, parameters, sorted targets, change, and
 * with a rollout the policy and each target's wave. An approval binds to this digest; anything different
 * is a different request. A plan without a rollout digests exactly as before rollouts existed.
 */
export const planDigest = (plan: Plan): string => {
  const rollout = hasRollout(plan.rollout) ? plan.rollout : null;
  const targets = [...plan.targets].map((t) => `${t.accountId}/${t.region}/${t.instanceId}${rollout ? `#${t.wave ?? '-'}` : ''}`).sort();
  const body = JSON.stringify(
    canonical({
      v: 1,
      tool: plan.tool,
      action: plan.action,
      script: plan.scriptSha256,
      params: plan.params,
      change: plan.changeNumber,
      targets,
      ...(rollout ? { rollout } : {}),
    }),
  );
  return createHash('sha256').update(body, 'utf8').digest('hex');
};

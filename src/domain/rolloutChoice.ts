import { z } from 'zod';
import { hasRollout, type Amount, type RolloutDefinition, type RolloutPolicy } from './rolloutPolicy.ts';

/** What the requester typed in the modal's rollout fields (empty: the default). */
export type RolloutInput = {
  readonly canaryPerScope?: string;
  readonly wave?: string;
  readonly budget?: string;
  readonly pauseMinutes?: string;
};

export type RolloutChoice =
  { readonly ok: true; readonly policy: RolloutPolicy | null } | { readonly ok: false; readonly errors: Readonly<Record<string, string>> };

const amountSchema = z.union([z.strictObject({ count: z.number().int().min(0) }), z.strictObject({ percent: z.number().min(0).max(100) })]);

/** A stored policy (runs.rollout), read back exactly as it was approved. */
export const rolloutPolicySchema = z.strictObject({
  canary: z.union([z.strictObject({ perScope: z.number().int().min(1) }), z.strictObject({ count: z.number().int().min(1) })]).optional(),
  wave: amountSchema.optional(),
  pauseSeconds: z.number().int().min(0).optional(),
  budget: amountSchema.optional(),
});

// "10%" / "10 %" (a percentage of the run) or "25" (instances).
const amount = z
  .string()
  .trim()
  .regex(/^[0-9]{1,5}(\s*%)?$/u, 'A number of instances (25) or a percentage of the run (10%).')
  .transform((s): Amount => (s.endsWith('%') ? { percent: Number(s.replace(/\s*%$/u, '')) } : { count: Number(s) }));

const percentOf = (a: Amount, total: number): number => ('percent' in a ? a.percent : (a.count / total) * 100);
const given = (s: string | undefined): s is string => s !== undefined && s.trim() !== '';

/**
 * The policy a request runs with: the action's defaults, adjusted by the requester only within the
 * definition's bounds (and only when it declares bounds). Errors are keyed by the modal field.
 */
export const chooseRollout = (definition: RolloutDefinition | undefined, input: RolloutInput, total: number): RolloutChoice => {
  if (!definition || !hasRollout(definition)) return { ok: true, policy: null };
  const { bounds, ...defaults } = definition;
  if (!bounds) return { ok: true, policy: defaults };
  const errors: Record<string, string> = {};
  let policy: RolloutPolicy = defaults;

  if (given(input.canaryPerScope) && defaults.canary && 'perScope' in defaults.canary) {
    const { min, max } = bounds.canaryPerScope;
    const n = z.coerce.number().int().min(min).max(max).safeParse(input.canaryPerScope.trim());
    if (n.success) policy = { ...policy, canary: { perScope: n.data } };
    else errors['rollout:canary'] = `Canary: ${min} to ${max} instance(s) per account/region.`;
  }
  const bounded = (field: 'wave' | 'budget', text: string, range: { min: number; max: number }, label: string): Amount | null => {
    const parsed = amount.safeParse(text);
    if (!parsed.success) {
      errors[`rollout:${field}`] = `${label}: ${parsed.error.issues[0]?.message ?? 'not understood'}`;
      return null;
    }
    const pct = percentOf(parsed.data, total);
    if (pct < range.min || pct > range.max) {
      errors[`rollout:${field}`] = `${label}: between ${range.min} % and ${range.max} % of the run (${total} instances).`;
      return null;
    }
    return parsed.data;
  };
  if (given(input.wave) && defaults.wave) {
    const wave = bounded('wave', input.wave, bounds.wavePercent, 'Wave size');
    if (wave) policy = { ...policy, wave };
  }
  if (given(input.budget) && defaults.budget) {
    const budget = bounded('budget', input.budget, bounds.budgetPercent, 'Error budget');
    if (budget) policy = { ...policy, budget };
  }
  if (given(input.pauseMinutes)) {
    const max = Math.floor(bounds.maxPauseSeconds / 60);
    const m = z.coerce.number().int().min(0).max(max).safeParse(input.pauseMinutes.trim());
    if (m.success) {
      const { pauseSeconds: _dropped, ...rest } = policy;
      policy = m.data > 0 ? { ...rest, pauseSeconds: m.data * 60 } : rest;
    } else errors['rollout:pause'] = `Pause between waves: 0 to ${max} minutes.`;
  }
  return Object.keys(errors).length > 0 ? { ok: false, errors } : { ok: true, policy };
};

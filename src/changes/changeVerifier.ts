import type { DatabasePool } from 'slonik';
import { checkChange, checkCiCoverage, type ChangeRuleOptions, type CoverageTarget } from '../domain/changeRules.ts';
import { refuse, type Refusal } from '../domain/refusal.ts';
import { scheduledStart } from '../domain/scheduledStart.ts';
import { listActiveChangeTargets, upsertChange } from '../db/queries/changes.ts';
import { ServiceNowError, type ServiceNowChange, type ServiceNowClient } from './serviceNowClient.ts';

/** `startsAt`: the window has not opened yet (only with `allowScheduled`); the work waits until then. */
export type ChangeVerdict = { ok: true; change: ServiceNowChange; startsAt?: Date | null } | Refusal;

export type VerifyOptions = {
  /** A change whose window opens later passes, with `startsAt` (a request may be approved and wait for it). */
  readonly allowScheduled?: boolean;
};

export type ChangeVerifier = {
  /**
   * Asks ServiceNow now and applies the change rules; records what it saw. Fails closed: an unreachable,
   * slow, rate-limited, unauthorised or malformed ServiceNow is a refusal, never a pass.
   * `targets` are the instances the work will touch (for CI coverage); without them (the executor's
   * pre-dispatch check) coverage is checked for the targets of every approved or running run under the change.
   */
  readonly verify: (number: string, targets?: readonly CoverageTarget[], options?: VerifyOptions) => Promise<ChangeVerdict>;
};

export type ChangeVerifierRules = Omit<ChangeRuleOptions, 'now'> & {
  /** Every target must be an affected CI (task_ci) of the change. Off by default. */
  readonly requireCiCoverage?: boolean;
};

const unavailable = (number: string, error: ServiceNowError): Refusal =>
  error.kind === 'auth'
    ? refuse(
        'servicenow_auth',
        `ServiceNow refused the bot's credentials, so ${number} cannot be confirmed and nothing will run. Tell the bot's operators (ServiceNow settings); try again once it is fixed.`,
      )
    : refuse(
        'servicenow_unavailable',
        `ServiceNow could not confirm ${number} (${error.message}). Nothing will run until it can; try again in a few minutes.`,
      );

export const createChangeVerifier = (deps: {
  readonly client: ServiceNowClient;
  readonly pool: DatabasePool;
  readonly rules: ChangeVerifierRules;
  readonly now?: () => Date;
}): ChangeVerifier => {
  const record = async (number: string, change: ServiceNowChange | null, verdict: string): Promise<void> => {
    await upsertChange(deps.pool, {
      number,
      sysId: change?.sysId ?? null,
      state: change?.state ?? null,
      plannedStart: change?.plannedStart ?? null,
      plannedEnd: change?.plannedEnd ?? null,
      assignmentGroup: change?.assignmentGroup ?? null,
      shortDescription: change?.shortDescription ?? null,
      verdict,
    });
  };

  return {
    verify: async (number, targets, options = {}) => {
      let change: ServiceNowChange | null;
      try {
        change = await deps.client.getChange(number);
      } catch (error) {
        if (!(error instanceof ServiceNowError)) throw error;
        const refusal = unavailable(number, error);
        await record(number, null, refusal.code);
        return refusal;
      }
      const { requireCiCoverage, ...rules } = deps.rules;
      const now = deps.now?.() ?? new Date();
      let verdict: { ok: true } | Refusal = checkChange(
        change ? { ...change, assignmentGroup: { id: change.assignmentGroup, name: change.assignmentGroupName } } : null,
        { ...rules, now, allowNotStarted: options.allowScheduled === true },
      );
      if (change && verdict.ok && requireCiCoverage) {
        const covered = targets ?? (await listActiveChangeTargets(deps.pool, number));
        try {
          verdict = checkCiCoverage(number, covered, await deps.client.getAffectedCis(change.sysId));
        } catch (error) {
          if (!(error instanceof ServiceNowError)) throw error;
          verdict = unavailable(number, error);
        }
      }
      if (change) await record(number, change, verdict.ok ? 'ok' : verdict.code);
      if (!verdict.ok) return verdict;
      // checkChange refuses a missing change, so `change` is set here; the guard keeps the types honest.
      return change
        ? { ok: true, change, startsAt: options.allowScheduled ? scheduledStart(change, { now, graceMinutes: rules.graceMinutes }) : null }
        : refuse('change_not_found', `${number} was not found in ServiceNow. Check the number and try again.`);
    },
  };
};

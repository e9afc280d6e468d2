import type { DatabasePool } from 'slonik';
import { checkChange, type ChangeRuleOptions } from '../domain/changeRules.ts';
import { refuse, type Refusal } from '../domain/refusal.ts';
import { upsertChange } from '../db/queries/changes.ts';
import { ServiceNowError, type ServiceNowChange, type ServiceNowClient } from './serviceNowClient.ts';

export type ChangeVerifier = {
  /** Asks ServiceNow now and applies the change rules; records what it saw. Fails closed. */
  readonly verify: (number: string) => Promise<{ ok: true; change: ServiceNowChange } | Refusal>;
};

export const createChangeVerifier = (deps: {
  readonly client: ServiceNowClient;
  readonly pool: DatabasePool;
  readonly rules: Omit<ChangeRuleOptions, 'now'>;
  readonly now?: () => Date;
}): ChangeVerifier => ({
  verify: async (number) => {
    let change: ServiceNowChange | null;
    try {
      change = await deps.client.getChange(number);
    } catch (error) {
      if (error instanceof ServiceNowError) {
        return refuse('servicenow_unavailable', `ServiceNow could not confirm ${number} (${error.message}). Nothing will run until it can; try again shortly.`);
      }
      throw error;
    }
    const verdict = checkChange(change, { ...deps.rules, now: deps.now?.() ?? new Date() });
    if (change) {
      await upsertChange(deps.pool, {
        number: change.number, sysId: change.sysId, state: change.state, plannedStart: change.plannedStart, plannedEnd: change.plannedEnd,
        assignmentGroup: change.assignmentGroup, shortDescription: change.shortDescription, verdict: verdict.ok ? 'ok' : verdict.code,
      });
    }
    if (!verdict.ok) return verdict;
    // checkChange refuses a missing change, so `change` is set here; the guard keeps the types honest.
    return change ? { ok: true, change } : refuse('change_not_found', `${number} was not found`);
  },
});

import { refuse, type Refusal } from './refusal.ts';

/** ServiceNow change_request states (Table API values). */
export const changeStates: Readonly<Record<string, string>> = {
  '-5': 'New', '-4': 'Assess', '-3': 'Authorize', '-2': 'Scheduled', '-1': 'Implement', '0': 'Review', '3': 'Closed', '4': 'Canceled',
};

export type ChangeFacts = {
  readonly number: string;
  readonly state: string;
  readonly plannedStart: Date | null;
  readonly plannedEnd: Date | null;
};

export type ChangeRuleOptions = {
  readonly now: Date;
  readonly allowedStates: readonly ('implement' | 'scheduled')[];
  readonly graceMinutes: number;
};

const stateCodes = { implement: '-1', scheduled: '-2' } as const;

export const CHANGE_NUMBER = /^CHG[0-9]{7,10}$/u;

/** Whether a change, as ServiceNow reports it now, covers work starting now. Pure; table-tested. */
export const checkChange = (change: ChangeFacts | null, options: ChangeRuleOptions): { ok: true } | Refusal => {
  if (!change) return refuse('change_not_found', 'The change was not found in ServiceNow. Check the number (CHG…) and try again.');
  const allowed = options.allowedStates.map((s) => stateCodes[s]);
  const label = changeStates[change.state] ?? `state ${change.state}`;
  if (!allowed.includes(change.state as '-1' | '-2')) {
    const want = options.allowedStates.map((s) => (s === 'implement' ? 'Implement' : 'Scheduled')).join(' or ');
    return refuse('change_wrong_state', `${change.number} is in state ${label}; it must be ${want}. Move the change forward in ServiceNow, then resubmit.`);
  }
  if (!change.plannedStart || !change.plannedEnd) {
    return refuse('change_no_window', `${change.number} has no planned start/end; set the planned window in ServiceNow.`);
  }
  const graceMs = options.graceMinutes * 60_000;
  const now = options.now.getTime();
  if (now < change.plannedStart.getTime() - graceMs) {
    return refuse('change_not_started', `${change.number}'s planned window starts ${change.plannedStart.toISOString()}; try again inside the window.`);
  }
  if (now > change.plannedEnd.getTime() + graceMs) {
    return refuse('change_window_over', `${change.number}'s planned window ended ${change.plannedEnd.toISOString()}; extend the change or raise a new one.`);
  }
  return { ok: true };
};

import { listSome } from './listSome.ts';
import { refuse, type Refusal } from './refusal.ts';

/** ServiceNow change_request states (Table API values). */
export const changeStates: Readonly<Record<string, string>> = {
  '-5': 'New',
  '-4': 'Assess',
  '-3': 'Authorize',
  '-2': 'Scheduled',
  '-1': 'Implement',
  '0': 'Review',
  '3': 'Closed',
  '4': 'Canceled',
};

export type ChangeFacts = {
  readonly number: string;
  readonly state: string;
  readonly plannedStart: Date | null;
  readonly plannedEnd: Date | null;
  /** The change's assignment group as ServiceNow reports it (sys_id and name); only read when groups are required. */
  readonly assignmentGroup?: { readonly id: string | null; readonly name: string | null };
};

export type ChangeRuleOptions = {
  readonly now: Date;
  readonly allowedStates: readonly ('implement' | 'scheduled')[];
  readonly graceMinutes: number;
  /**
   * When non-empty, the change must be assigned to one of these groups (sys_id or name, case-insensitive).
   * Empty (the default) turns the check off.
   */
  readonly requiredAssignmentGroups?: readonly string[];
  /** A window that has not opened yet passes (the run is scheduled for its start, see scheduledStart). */
  readonly allowNotStarted?: boolean;
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
    return refuse(
      'change_wrong_state',
      `${change.number} is in state ${label}; it must be ${want}. Move the change forward in ServiceNow, then resubmit.`,
    );
  }
  if (!change.plannedStart || !change.plannedEnd) {
    return refuse('change_no_window', `${change.number} has no planned start/end; set the planned window in ServiceNow.`);
  }
  const graceMs = options.graceMinutes * 60_000;
  const now = options.now.getTime();
  if (now < change.plannedStart.getTime() - graceMs && !options.allowNotStarted) {
    return refuse(
      'change_not_started',
      `${change.number}'s planned window starts ${change.plannedStart.toISOString()}; try again inside the window.`,
    );
  }
  if (now > change.plannedEnd.getTime() + graceMs) {
    return refuse(
      'change_window_over',
      `${change.number}'s planned window ended ${change.plannedEnd.toISOString()}; extend the change or raise a new one.`,
    );
  }
  const groups = options.requiredAssignmentGroups ?? [];
  if (groups.length > 0) {
    const wanted = new Set(groups.map((g) => g.trim().toLowerCase()));
    const id = change.assignmentGroup?.id?.toLowerCase();
    const name = change.assignmentGroup?.name?.toLowerCase();
    if (!(id && wanted.has(id)) && !(name && wanted.has(name))) {
      const current = change.assignmentGroup?.name ?? change.assignmentGroup?.id ?? 'no group';
      return refuse(
        'change_wrong_group',
        `${change.number} is assigned to ${current}, not to ${groups.join(' or ')}. Ask for the change to be assigned to that group in ServiceNow, then resubmit.`,
      );
    }
  }
  return { ok: true };
};

/** A target as CI coverage sees it: its instance id and the host name SSM reported (if any). */
export type CoverageTarget = { readonly instanceId: string; readonly computerName: string | null };

/**
 * Host names match when equal (case-insensitive), or when one is a bare name (no dot) equal to the other's
 * first label. Two fully qualified names must be equal: EC2's default names (ip-10-0-0-1.<region>.compute.internal)
 * share first labels across regions and VPCs.
 */
const sameHost = (a: string, b: string): boolean => {
  const x = a.trim().toLowerCase();
  const y = b.trim().toLowerCase();
  if (!x || !y) return false;
  if (x === y) return true;
  if (!x.includes('.')) return y.split('.')[0] === x;
  if (!y.includes('.')) return x.split('.')[0] === y;
  return false;
};

/**
 * Every target must be an affected CI of the change (task_ci), matched by instance id or by host name
 * (case-insensitive; a bare host name also matches a fully qualified one). Pure; table-tested.
 */
export const checkCiCoverage = (
  changeNumber: string,
  targets: readonly CoverageTarget[],
  ciNames: readonly string[],
): { ok: true } | Refusal => {
  const cis = ciNames.map((c) => c.trim().toLowerCase()).filter(Boolean);
  const ids = new Set(cis);
  const uncovered = targets
    .filter((t) => !ids.has(t.instanceId.toLowerCase()) && !(t.computerName && cis.some((ci) => sameHost(ci, t.computerName ?? ''))))
    .map((t) => (t.computerName ? `${t.instanceId} (${t.computerName})` : t.instanceId));
  if (uncovered.length === 0) return { ok: true };
  return refuse(
    'change_ci_not_covered',
    `${changeNumber} does not list ${uncovered.length === 1 ? 'this instance' : 'these instances'} as affected CIs: ${listSome(uncovered)}. ` +
      'Add them to the change in ServiceNow (Affected CIs, by instance id or host name), then try again.',
  );
};

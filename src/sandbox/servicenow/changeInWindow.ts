// Builders for fake changes: dates in ServiceNow's format and a change whose window contains now.
import { createHash } from 'node:crypto';
import type { FakeChange, FakeReference } from './fakeServiceNowTypes.ts';

/** change_request.state codes (strings, as the Table API returns them) and their labels. */
export const CHANGE_STATES = {
  '-5': 'New',
  '-4': 'Assess',
  '-3': 'Authorize',
  '-2': 'Scheduled',
  '-1': 'Implement',
  '0': 'Review',
  '3': 'Closed',
  '4': 'Canceled',
} as const satisfies Record<string, string>;

export const DEFAULT_ASSIGNMENT_GROUP: FakeReference = {
  value: sysIdFor('group:Platform Operations'),
  display_value: 'Platform Operations',
};

/** A stable 32-hex sys_id for a seed (change number, CI name…), so tests can predict ids. */
export function sysIdFor(seed: string): string {
  return createHash('md5').update(seed).digest('hex');
}

/** "YYYY-MM-DD HH:mm:ss" in UTC, the Table API's format with sysparm_display_value=false. */
export function formatServiceNowDate(date: Date): string {
  return date.toISOString().slice(0, 19).replace('T', ' ');
}

export interface ChangeWindowOptions {
  /** State code; default "-1" (Implement). */
  state?: string;
  /** The window opened this many hours before `now` (default 1) and closes this many after (default 1). Negative values move it. */
  hoursBefore?: number;
  hoursAfter?: number;
  now?: Date;
  /** Anything else on the change (assignment_group, cis, short_description…). */
  change?: Omit<FakeChange, 'number'>;
}

/** A change in Implement whose planned window contains now (or any window relative to now). */
export function changeInWindow(number: string, options: ChangeWindowOptions = {}): FakeChange {
  const now = options.now ?? new Date();
  const hour = 3_600_000;
  return {
    state: options.state ?? '-1',
    start_date: formatServiceNowDate(new Date(now.getTime() - (options.hoursBefore ?? 1) * hour)),
    end_date: formatServiceNowDate(new Date(now.getTime() + (options.hoursAfter ?? 1) * hour)),
    assignment_group: DEFAULT_ASSIGNMENT_GROUP,
    short_description: `Planned maintenance ${number}`,
    type: 'normal',
    ...options.change,
    number,
  };
}

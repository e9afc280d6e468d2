import type { DatabasePool } from 'slonik';
import { upsertChange } from '../../src/db/queries/changes.ts';

/** A change ServiceNow verified (in Implement), as runs reference it, for tests that store runs directly. */
export const seedVerifiedChange = async (pool: DatabasePool, number = 'CHG0012345'): Promise<void> =>
  upsertChange(pool, {
    number,
    sysId: 'a'.repeat(32),
    state: '-1',
    plannedStart: null,
    plannedEnd: null,
    assignmentGroup: null,
    shortDescription: null,
    verdict: 'ok',
  });

import { describe, expect, it } from 'vitest';
import type { Db } from '../../src/db/queries/db.ts';
import { transitionRun } from '../../src/db/queries/runs.ts';

describe('transitionRun', () => {
  it('refuses, before touching the database, a move the run state machine does not allow', async () => {
    const untouched = {} as Db; // any query on it would fail differently
    await expect(transitionRun(untouched, '00000000-0000-4000-8000-000000000000', ['succeeded'], 'running')).rejects.toThrow(
      'illegal run transition succeeded → running',
    );
    await expect(
      transitionRun(untouched, '00000000-0000-4000-8000-000000000000', ['pending_approval', 'rejected'], 'approved'),
    ).rejects.toThrow('illegal run transition rejected → approved');
  });
});

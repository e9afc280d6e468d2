// A change freeze holds dispatch: a run approved before the freeze sends nothing while it is on, and
// continues once an admin lifts it.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { setFreeze } from '../../src/db/queries/settings.ts';
import { makeInstances } from '../../src/sandbox/aws/index.ts';
import { ACCOUNTS } from '../helpers/sandbox.ts';
import { commandsOf, startHarness, type Harness } from '../helpers/executorHarness.ts';

const fleet = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 3 });

describe('executor: change freeze', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ instances: fleet });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('sends nothing while frozen, says so once, and dispatches after the freeze is lifted', async () => {
    await setFreeze(h.db.pool, { on: true, reason: 'holiday', by: 'U0ADMINUSR' });
    const runId = await h.approveRun(fleet.map((i) => i.instanceId));

    const deadline = Date.now() + 10_000;
    while (!h.notifier.calls.some((c) => c.kind === 'note' && c.runId === runId)) {
      if (Date.now() > deadline) throw new Error('no freeze note');
      await new Promise((r) => setTimeout(r, 25));
    }
    // Several poll rounds later: still nothing sent, and the note was posted once.
    await new Promise((r) => setTimeout(r, 500));
    expect(commandsOf(h, runId)).toHaveLength(0);
    const notes = h.notifier.calls.filter((c) => c.kind === 'note' && c.runId === runId);
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatchObject({ text: expect.stringContaining('change freeze') });
    const held = await h.db.pool.anyFirst(
      sql.type(z.object({ action: z.string() }))`select action from audit_events where run_id = ${runId} and action = 'dispatch_held'`,
    );
    expect(held).toHaveLength(1);

    await setFreeze(h.db.pool, { on: false, by: 'U0ADMINUSR' });
    h.executor.nudge(runId);
    expect(await h.waitForRun(runId)).toBe('succeeded');
    expect(commandsOf(h, runId)).toHaveLength(1);
  });
});

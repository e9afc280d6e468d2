// /readyz "outbox not stuck" (issue 11, item 3) against the real database: the backlog's age and the last
// delivery by any replica, read in one statement, decide it.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { claimOwed, markOwedSent, oweChannelPost, outboxBacklog } from '../../src/db/queries/outbox.ts';
import { outboxStuck } from '../../src/outbox/outboxStuck.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/testDatabase.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

const age = async (column: 'created_at' | 'done_at', seconds: number): Promise<void> => {
  await db.pool.query(sql.type(z.object({}))`
    update slack_outbox set ${sql.identifier([column])} = now() - make_interval(secs => ${seconds}) where ${sql.identifier([column])} is not null`);
};

describe('outbox not stuck', () => {
  it('is stuck while owed messages older than the bound wait and nothing was delivered for as long; one delivery clears it', async () => {
    expect(outboxStuck(await outboxBacklog(db.pool), 300)).toBeNull();
    await oweChannelPost(db.pool, 'C0OPS00001', 'first');
    await oweChannelPost(db.pool, 'C0OPS00002', 'second');
    await oweChannelPost(db.pool, 'C0OPS00003', 'third');
    // Young: not stuck, whatever happened before.
    expect(outboxStuck(await outboxBacklog(db.pool), 300)).toBeNull();

    await age('created_at', 400);
    const stuck = await outboxBacklog(db.pool);
    expect(stuck).toMatchObject({ pending: 3, sinceProgressSeconds: null });
    expect(outboxStuck(stuck, 300)).toMatch(/^3 Slack message\(s\) owed, the oldest for 400 s; none delivered yet/u);

    // One message goes out (on any replica): the backlog is draining, so it is not stuck.
    const [head] = await claimOwed(db.pool, { limit: 1, leaseSeconds: 15 });
    await markOwedSent(db.pool, head!.id);
    expect(outboxStuck(await outboxBacklog(db.pool), 300)).toBeNull();

    // ...until that delivery is itself older than the bound with the rest still waiting.
    await age('done_at', 320);
    expect(outboxStuck(await outboxBacklog(db.pool), 300)).toMatch(
      /^2 Slack message\(s\) owed, the oldest for 400 s; last delivery 320 s ago/u,
    );
  });
});

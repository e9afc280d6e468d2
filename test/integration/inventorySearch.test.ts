// The picker's inventory search over 10,000 rows: every branch through its index, bounded by its LIMIT.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { upsertInstances, type InstanceRecord } from '../../src/db/queries/instances.ts';
import { recordInstanceTags, searchInventory, searchInventoryStatement } from '../../src/db/queries/inventorySearch.ts';
import { createTestDatabase, type TestDatabase } from '../helpers/testDatabase.ts';

let db: TestDatabase;
const rows: InstanceRecord[] = Array.from({ length: 10_000 }, (_, i) => ({
  instanceId: `i-${i.toString(16).padStart(17, '0')}`,
  partition: i % 10 === 0 ? 'aws-us-gov' : 'aws',
  accountId: i % 10 === 0 ? '222222222222' : '111111111111',
  region: i % 10 === 0 ? 'us-gov-west-1' : 'us-east-1',
  pingStatus: 'Online',
  platformType: 'Linux',
  platformName: 'Amazon Linux',
  computerName: `Host-${String(i).padStart(5, '0')}.example.internal`,
  ipAddress: `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`,
}));

beforeAll(async () => {
  db = await createTestDatabase();
  await upsertInstances(db.pool, rows, { synced: true });
  await recordInstanceTags(db.pool, [
    ...rows.slice(0, 3).map((r) => ({ instanceId: r.instanceId, key: 'PatchGroup', value: 'Prod-A' })),
    { instanceId: rows[0]!.instanceId, key: 'PatchGroup', value: 'Prod-B' },
    { instanceId: rows[1]!.instanceId, key: 'Owner', value: 'ops' },
  ]);
  await db.pool.query(sql.type(z.object({}))`analyze instances`);
}, 60_000);
afterAll(async () => db?.drop());

describe('the picker search', () => {
  it('matches id, computer name and IP prefixes and whole tag values, case-insensitively, at most the limit', async () => {
    expect((await searchInventory(db.pool, rows[42]!.instanceId.toUpperCase(), 100)).map((m) => m.instanceId)).toEqual([
      rows[42]!.instanceId,
    ]);
    expect((await searchInventory(db.pool, 'host-0004', 100)).map((m) => m.computerName)).toHaveLength(10);
    expect((await searchInventory(db.pool, '10.0.3.7', 100)).map((m) => m.ipAddress).sort()).toEqual([
      '10.0.3.7',
      '10.0.3.70',
      '10.0.3.71',
      '10.0.3.72',
      '10.0.3.73',
      '10.0.3.74',
      '10.0.3.75',
      '10.0.3.76',
      '10.0.3.77',
      '10.0.3.78',
      '10.0.3.79',
    ]);
    expect(await searchInventory(db.pool, 'host-', 100)).toHaveLength(100);
    // The later value of a key replaces the earlier one; other keys stay.
    expect((await searchInventory(db.pool, 'prod-a', 100)).map((m) => m.instanceId)).toEqual([rows[1]!.instanceId, rows[2]!.instanceId]);
    expect((await searchInventory(db.pool, 'PROD-B', 100)).map((m) => m.instanceId)).toEqual([rows[0]!.instanceId]);
    expect((await searchInventory(db.pool, 'ops', 100)).map((m) => m.instanceId)).toEqual([rows[1]!.instanceId]);
    expect(await searchInventory(db.pool, 'host_', 100)).toEqual([]);
  });

  it('reads every branch through an index, never the whole table', async () => {
    const plan = await db.pool.anyFirst(
      sql.type(z.object({ 'QUERY PLAN': z.string() }))`explain ${searchInventoryStatement('Host-0', 100)}`,
    );
    const text = plan.join('\n');
    expect(text).not.toMatch(/Seq Scan on instances/u);
    for (const index of ['instances_id_prefix', 'instances_name_prefix', 'instances_ip_prefix', 'instances_tag_values'])
      expect(text).toContain(index);
  });
});

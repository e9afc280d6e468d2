// Every `sql.type(schema)` row is validated (synchronously, row by row) by the pool's result parser.
import { SchemaValidationError, sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createTestDatabase, type TestDatabase } from '../helpers/testDatabase.ts';

let db: TestDatabase;
beforeAll(async () => {
  db = await createTestDatabase();
});
afterAll(async () => db?.drop());

describe('result parser', () => {
  it('parses every row of a large result with its schema (coercions applied) and rejects a row that does not match', async () => {
    const rows = await db.pool.any(
      sql.type(z.object({ n: z.number().int(), label: z.string().transform((s) => s.toUpperCase()) }))`
        select g as n, 'row ' || g as label from generate_series(1, 10000) g`,
    );
    expect(rows).toHaveLength(10_000);
    expect(rows[9_999]).toEqual({ n: 10_000, label: 'ROW 10000' });
    await expect(
      db.pool.any(sql.type(z.object({ n: z.number().max(5_000) }))`select g as n from generate_series(1, 10000) g`),
    ).rejects.toBeInstanceOf(SchemaValidationError);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { countStatements, handWrittenRunStatusWrites } from '../helpers/queryStatements.ts';

const QUERIES = join(import.meta.dirname, '../../src/db/queries');
const queryFiles = readdirSync(QUERIES).filter((f) => f.endsWith('.ts'));

const counts = (source: string) => Object.fromEntries(countStatements('fixture.ts', source).map((c) => [c.name, c.statements]));

describe('query functions are atomic on their own', () => {
  it('the check counts statements the way a reviewer would', () => {
    expect(
      counts(`
      export const one = async (db: Db) => db.one(sql\`select 1\`);
      export const cte = async (db: Db) => { await db.query(sql\`with a as (update t set x = 1 returning id) update u set y = 1 where id in (select id from a)\`); };
      export const two = async (db: Db) => { await db.query(sql\`update t set x = 1\`); await db.query(sql\`update u set y = 1\`); };
      export const viaHelper = async (db: Db) => { await db.query(sql\`update t set x = 1\`); return helper(db); };
      export const inLoop = async (db: Db, ids: string[]) => { for (const id of ids) await db.query(sql\`delete from t where id = \${id}\`); };
      export const inCallback = async (db: Db, ids: string[]) => Promise.all(ids.map((id) => db.query(sql\`delete from t where id = \${id}\`)));
      export const own = async (db: Db) => db.transaction(async (tx) => { await tx.query(sql\`update t set x = 1\`); await tx.query(sql\`update u set y = 1\`); });
      export async function declared(pool: Db) { await pool.any(sql\`select 1\`); await pool.any(sql\`select 2\`); }
      export const notAFunction = 3;
    `),
    ).toEqual({ one: 1, cte: 1, two: 2, viaHelper: 2, inLoop: 2, inCallback: 2, own: 1, declared: 2 });
  });

  it.each(queryFiles)('no exported function of queries/%s sends more than one statement outside a transaction', (file) => {
    const offenders = countStatements(file, readFileSync(join(QUERIES, file), 'utf8')).filter((c) => c.statements > 1);
    expect(offenders).toEqual([]);
  });
});

describe('run status changes go through the state machine', () => {
  it('the check finds a status written by hand', () => {
    expect(
      handWrittenRunStatusWrites('fixture.ts', "const q = sql`update runs set status = 'expired', finished_at = now() where id = ${id}`;"),
    ).toHaveLength(1);
    expect(
      handWrittenRunStatusWrites(
        'fixture.ts',
        'const q = sql`update runs set ${moveTo(from, to)}, lease_owner = null where status = any(${from})`;',
      ),
    ).toEqual([]);
  });

  it.each(queryFiles)('queries/%s writes no run status by hand', (file) => {
    expect(handWrittenRunStatusWrites(file, readFileSync(join(QUERIES, file), 'utf8'))).toEqual([]);
  });
});

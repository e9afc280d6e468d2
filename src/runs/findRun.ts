import type { DatabasePool } from 'slonik';
import { refuse, type Refusal } from '../domain/refusal.ts';
import { findRunsByIdPrefix, type RunRow } from '../db/queries/runs.ts';

/** A run by its id or the first characters of it (unique), as people type it into `/ops`. */
export const findRun = async (pool: DatabasePool, ref: string): Promise<{ readonly ok: true; readonly run: RunRow } | Refusal> => {
  const found = await findRunsByIdPrefix(pool, ref, 2);
  const [first, second] = found;
  if (!first) return refuse('not_found', `No run id starts with \`${ref}\`. Check it with \`/ops history\`.`);
  if (second) return refuse('ambiguous', `More than one run id starts with \`${ref}\`; type more of it (see \`/ops history\`).`);
  return { ok: true, run: first };
};

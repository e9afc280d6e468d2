import { randomUUID } from 'node:crypto';
import type { DatabasePool, DatabaseTransactionConnection } from 'slonik';
import { insertRun, type NewRun } from '../../src/db/queries/runs.ts';
import { upsertScripts } from '../../src/db/queries/scripts.ts';
import { scriptRecordOf } from '../../src/tools/scriptRecordOf.ts';
import type { ToolRegistry } from '../../src/tools/registry.ts';

/**
 * A `qc-prep / initial-qc` run awaiting approval, its script stored: the run the outbox, work-note and audit
 * tests hang their rows on. `overrides` sets channels, counts, the digest…; returns the run id.
 */
export const insertTestRun = async (
  db: DatabasePool | DatabaseTransactionConnection,
  registry: ToolRegistry,
  overrides: Partial<NewRun> = {},
): Promise<string> => {
  const action = registry.action('qc-prep', 'initial-qc');
  if (!action) throw new Error('qc-prep/initial-qc is missing');
  await upsertScripts(db, [scriptRecordOf(action)]);
  const run: NewRun = {
    id: randomUUID(),
    tool: 'qc-prep',
    action: 'initial-qc',
    params: {},
    scriptSha256: action.scriptSha256,
    requesterId: 'U0REQUESTER',
    channelId: 'C0OPS00001',
    approvalChannelId: 'C0APP00001',
    changeNumber: 'CHG0012345',
    planDigest: 'b'.repeat(64),
    approvalsRequired: 1,
    mutates: false,
    targetCount: 2,
    correlationId: randomUUID(),
    approvalExpiresAt: new Date(Date.now() + 60_000),
    ...overrides,
  };
  await insertRun(db, run);
  return run.id;
};

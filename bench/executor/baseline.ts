// The baseline: the executor as ../shared/seed-guide.md describes the old web tool's script_executor.py
// (a thread pool of MAX_CONCURRENT_EXECUTIONS = 10; execute_batch sends; poll_and_update_results polls
// every execution and writes its row), rebuilt on the same clients, database and notifier so that only
// the executor design differs. Used by the benchmark only.
import { GetCommandInvocationCommand, SendCommandCommand } from '@aws-sdk/client-ssm';
import PQueue from 'p-queue';
import { setTimeout as sleep } from 'node:timers/promises';
import { sql, type DatabasePool } from 'slonik';
import { z } from 'zod';
import type { SsmClients } from '../../src/aws/ssmClients.ts';
import type { TargetAccount } from '../../src/config/targetsSchema.ts';
import { chunkTargets } from '../../src/domain/chunkTargets.ts';
import { executionStatusFromSsm, isTerminalExecution } from '../../src/domain/executionStatus.ts';
import type { RunNotifier } from '../../src/domain/runNotifier.ts';
import { countExecutionsByStatus, listRunTargets } from '../../src/db/queries/executions.ts';
import type { RunRow } from '../../src/db/queries/runs.ts';

export type BaselineDeps = {
  readonly pool: DatabasePool;
  readonly ssm: SsmClients;
  readonly accounts: ReadonlyMap<string, TargetAccount>;
  readonly notifier: RunNotifier;
  readonly run: RunRow;
  readonly commands: readonly string[];
  readonly pollIntervalMs: number;
};

const empty = z.object({});

/** Runs the whole batch; returns the number of poll rounds. */
export const runBaseline = async (deps: BaselineDeps): Promise<number> => {
  const { pool, run } = deps;
  const threads = new PQueue({ concurrency: 10 });
  const session = { runId: run.id, requesterId: run.requester_id };
  const clientFor = (accountId: string, region: string) => {
    const account = deps.accounts.get(accountId);
    if (!account) throw new Error(`no account ${accountId}`);
    return deps.ssm.reader(account, region, session);
  };
  await pool.query(sql.type(empty)`update runs set status = 'running', started_at = now() where id = ${run.id}`);
  await deps.notifier.runStarted({ runId: run.id });

  // execute_batch: one SendCommand per account/region batch (≤ 50 ids), then each execution row updated.
  const open = new Map<string, { commandId: string; accountId: string; region: string }>();
  await Promise.all(
    chunkTargets(await listRunTargets(pool, run.id)).map((batch) =>
      threads.add(async () => {
        const answer = await clientFor(batch.accountId, batch.region).send(
          new SendCommandCommand({
            DocumentName: 'AWS-RunShellScript',
            InstanceIds: [...batch.instanceIds],
            Comment: `baseline ${run.id} #${batch.seq}`,
            TimeoutSeconds: 600,
            Parameters: { commands: [...deps.commands], executionTimeout: ['1200'] },
          }),
        );
        const commandId = answer.Command?.CommandId ?? '';
        for (const instanceId of batch.instanceIds) {
          await pool.query(
            sql.type(
              empty,
            )`update executions set status = 'sent', command_id = ${commandId} where run_id = ${run.id} and instance_id = ${instanceId}`,
          );
          open.set(instanceId, { commandId, accountId: batch.accountId, region: batch.region });
        }
      }),
    ),
  );

  // poll_and_update_results: every interval, GetCommandInvocation for every unfinished execution and its row written.
  let rounds = 0;
  while (open.size > 0) {
    await sleep(deps.pollIntervalMs);
    rounds += 1;
    await Promise.all(
      [...open].map(([instanceId, where]) =>
        threads.add(async () => {
          const inv = await clientFor(where.accountId, where.region).send(
            new GetCommandInvocationCommand({ CommandId: where.commandId, InstanceId: instanceId }),
          );
          const status = executionStatusFromSsm(inv.Status, inv.StatusDetails);
          const terminal = isTerminalExecution(status);
          await pool.query(sql.type(empty)`
            update executions set status = ${status}, ssm_status = ${inv.Status ?? null}, status_details = ${inv.StatusDetails ?? null},
              response_code = ${inv.ResponseCode ?? null}, stdout = ${terminal ? (inv.StandardOutputContent ?? '') : null},
              stderr = ${terminal ? (inv.StandardErrorContent ?? '') : null}, finished_at = case when ${terminal} then now() else finished_at end
            where run_id = ${run.id} and instance_id = ${instanceId}`);
          if (terminal) open.delete(instanceId);
        }),
      ),
    );
    await deps.notifier.runProgress({ runId: run.id }, await countExecutionsByStatus(pool, run.id), run.target_count);
  }
  const counts = await countExecutionsByStatus(pool, run.id);
  await pool.query(sql.type(empty)`update runs set status = 'succeeded', finished_at = now() where id = ${run.id}`);
  await deps.notifier.runFinished({ runId: run.id }, 'succeeded', counts, []);
  return rounds;
};

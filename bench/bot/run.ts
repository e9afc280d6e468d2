// Whole-bot memory benchmark: `npm run bench:bot` (or `-- --size 10000 --output-kb 10 --entry src/main.ts`).
// The real bot process — `node src/start.js` with default Node flags, exactly as `npm start` runs it — against
// the fake Slack, AWS and ServiceNow and a fresh PostgreSQL database: the start-up inventory sync reads the
// fleet, a person submits `/qc-prep` for every instance by tag selectors (runs of ≤ 5,000, as an action
// allows), an approver approves them, and they are driven to their summaries. Its RSS is read from /proc (sampled every 50 ms; VmHWM is the lifetime peak).
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import { sql } from 'slonik';
import { z } from 'zod';
import setupTestServer from '../../test/helpers/globalSetup.ts';
import type { BotEntry } from '../../test/helpers/launchBot.ts';
import { CHANGE, startSandbox, USERS, type Sandbox } from '../../test/helpers/sandbox.ts';
import { clickDecision, latestRunId, openRequestModal, submitRequestModal, waitForRunStatus } from '../../test/helpers/slackFlows.ts';
import { benchFleet, benchStdout } from '../executor/fleet.ts';

const { values } = parseArgs({
  options: {
    size: { type: 'string', default: '10000' },
    'output-kb': { type: 'string', default: '10' },
    entry: { type: 'string', default: 'src/start.js' },
  },
});
const n = Number(values.size);
const outputBytes = Math.round(Number(values['output-kb']) * 1024);
const entry: BotEntry = values.entry === 'src/main.ts' ? 'src/main.ts' : 'src/start.js';
const SCRIPT_MS = 5_000;

/** VmRSS and VmHWM (peak) of a process, in MB. */
const memoryOf = async (pid: number): Promise<{ rss: number; peak: number }> => {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, 'mu').exec(status)?.[1] ?? Number.NaN);
  return { rss: Math.round(kb('VmRSS') / 1024), peak: Math.round(kb('VmHWM') / 1024) };
};

const counted = z.object({ n: z.number() });
const inventoried = (s: Sandbox) => s.db.pool.oneFirst(sql.type(counted)`select count(*)::int as n from instances`);
const scopesTagged = (s: Sandbox) =>
  s.db.pool.oneFirst(sql.type(counted)`select count(*)::int as n from inventory_scopes where tags_last_success_at is not null`);
const runsCount = (s: Sandbox) => s.db.pool.oneFirst(sql.type(counted)`select count(*)::int as n from runs`);

const RUN_MAX = 5_000;
const parts = Math.ceil(n / RUN_MAX);
const fleet = benchFleet(n).map((i, index) => ({
  ...i,
  tags: { Part: String(index % parts) },
  behavior: { status: 'Success' as const, stdout: benchStdout(i.instanceId, outputBytes) },
}));
process.stderr.write(`whole bot (${entry}), ${n} instances, ${outputBytes / 1024} KiB output each: starting…\n`);
// The test suite's PostgreSQL set-up (a migrated template database and the bot's runtime login).
const teardown = await setupTestServer();
const s = await startSandbox({
  instances: fleet,
  entry,
  aws: { latencyMs: { min: 30, max: 80 }, defaultRunMs: SCRIPT_MS, deliveryMs: 100, recordCalls: false },
  env: { POLL_INTERVAL_MS: '1000', POLL_MAX_INTERVAL_MS: '2000', EXECUTOR_TICK_MS: '1000', LOG_LEVEL: 'warn' },
});
try {
  const pid = s.bot.child.pid;
  if (pid === undefined) throw new Error('the bot has no pid');
  const ready = await memoryOf(pid);

  // The start-up inventory sync: every instance, then every account/region's tags (GetResources).
  const scopes = 4;
  for (const deadline = Date.now() + 300_000; ; await sleep(250)) {
    if ((await inventoried(s)) >= n && (await scopesTagged(s)) >= scopes) break;
    if (Date.now() > deadline) throw new Error('the inventory sync did not finish within 5 minutes');
  }
  const synced = await memoryOf(pid);

  // An action takes at most 5,000 targets (the tool definitions): N instances in flight are runs of ≤ 5,000
  // (tag Part=0, Part=1, …), submitted one after the other and approved together.
  const runIds: string[] = [];
  for (let part = 0; part < parts; part += 1) {
    const before = await runsCount(s);
    const modal = await openRequestModal(s, '/qc-prep', USERS.requester);
    const answer = await submitRequestModal(s, modal, USERS.requester, { change: CHANGE, instances: `tag:Part=${part}` });
    const body = answer.body as { response_action?: string } | undefined;
    if (body?.response_action === 'errors') throw new Error(`the request was refused: ${JSON.stringify(body)}`);
    // Checks that outlast Slack's 3 s answer through a view update; the run row appears when they pass.
    for (const deadline = Date.now() + 120_000; (await runsCount(s)) === before; await sleep(250)) {
      const shown = JSON.stringify(s.slack.views.get(modal.id)?.blocks ?? []);
      if (shown.includes('was not submitted') || Date.now() > deadline)
        throw new Error(`no run was created: ${shown}\n${s.bot.output.slice(-20).join('\n')}`);
    }
    const runId = await latestRunId(s);
    await waitForRunStatus(s, runId, ['pending_approval'], 120_000);
    runIds.push(runId);
  }

  let peakDuringRun = 0;
  const sampler = setInterval(() => {
    void memoryOf(pid).then((m) => {
      peakDuringRun = Math.max(peakDuringRun, m.rss);
    });
  }, 50);
  const approvedAt = Date.now();
  for (const runId of runIds) {
    const clicked = await clickDecision(s, runId, USERS.approver);
    if (clicked !== 200) throw new Error(`approve answered HTTP ${clicked}`);
  }
  const statuses = await Promise.all(
    runIds.map((runId) => waitForRunStatus(s, runId, ['succeeded', 'failed', 'partially_failed'], 900_000)),
  );
  const wallMs = Date.now() - approvedAt;
  clearInterval(sampler);
  const end = await memoryOf(pid);
  const succeeded = await s.db.pool.oneFirst(sql.type(counted)`select count(*)::int as n from executions where status = 'success'`);
  if (statuses.some((st) => st !== 'succeeded') || succeeded !== n)
    throw new Error(`the runs ended ${statuses.join(', ')} with ${succeeded} of ${n} succeeded`);

  process.stdout.write(
    [
      `Whole bot, \`node ${entry}\` with default Node flags; script ${SCRIPT_MS / 1000} s, SSM/STS latency 30–80 ms per call, poll 1 s growing to 2 s.`,
      `${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}.`,
      '',
      '| Entry | N (runs at once) | Output | RSS ready | RSS after inventory sync | Wall (approvals → all succeeded) | Peak RSS during run | Process peak (VmHWM) |',
      '|---|---:|---:|---:|---:|---:|---:|---:|',
      `| \`${entry}\` | ${n.toLocaleString('en-US')} in ${parts} run(s) | ${outputBytes / 1024} KiB | ${ready.rss} MB | ${synced.rss} MB | ${(wallMs / 1000).toFixed(1)} s | ${Math.max(peakDuringRun, end.rss)} MB | ${end.peak} MB |`,
      '',
    ].join('\n'),
  );
} finally {
  await s.close();
  await teardown();
}

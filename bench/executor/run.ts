// Executor benchmark: `npm run bench` (all sizes), or `npm run bench -- --sizes 10,100 --modes product`.
// Fakes (AWS with 30–80 ms per call, Slack) run here; each scenario runs in a child process against a
// fresh database; this process counts the SSM+STS and Slack calls made between approval and summary.
import { fork } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { migrate } from '../../src/db/migrate.ts';
import { startFakeAws } from '../../src/sandbox/aws/startFakeAws.ts';
import { startFakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';
import { adminQuery, testServerUrl } from '../../test/helpers/pgAdmin.ts';
import { ACCOUNTS, BASE_CREDENTIALS, benchFleet, benchStdout } from './fleet.ts';
import type { ScenarioInput, ScenarioResult } from './scenario.ts';

const SCRIPT_MS = 5_000;
const POLL_INTERVAL_MS = 1_000;
const POLL_MAX_INTERVAL_MS = 2_000;
const LATENCY = { min: 30, max: 80 };

const { values } = parseArgs({
  options: {
    sizes: { type: 'string', default: '10,100,1000,5000,10000' },
    modes: { type: 'string', default: 'product,baseline' },
    'baseline-max': { type: 'string', default: '5000' },
    // Bytes of stdout per instance (in KiB; 0 = the one-line default). Above ~2.5 KB the listed plugin
    // Output is truncated, so every instance's full output is read with GetCommandInvocation.
    'output-kb': { type: 'string', default: '0' },
    // bot: the scenario runs in a worker thread with the bot's heap limits, as `npm start` runs the bot;
    // main: on the child's main thread with Node's defaults (how the bot ran before src/start.js).
    thread: { type: 'string', default: 'bot' },
  },
});
const sizes = (values.sizes ?? '')
  .split(',')
  .map(Number)
  .filter((n) => n > 0);
const modes = (values.modes ?? '').split(',').filter((m): m is ScenarioInput['mode'] => m === 'product' || m === 'baseline');
const baselineMax = Number(values['baseline-max']);
const thread = values.thread === 'main' ? 'main' : 'bot';
const outputBytes = Math.round(Number(values['output-kb']) * 1024);

type Row = ScenarioResult & { mode: string; n: number; awsCalls: number; slackCalls: number; calls: Record<string, number> };

const runScenario = async (mode: ScenarioInput['mode'], n: number): Promise<Row> => {
  const aws = await startFakeAws({
    partitions: BASE_CREDENTIALS,
    accounts: Object.values(ACCOUNTS).map((a) => ({ id: a.id, partition: a.partition, roleArn: a.roleArn })),
    instances: benchFleet(n).map((i) => ({ ...i, behavior: { status: 'Success', stdout: benchStdout(i.instanceId, outputBytes) } })),
    latencyMs: LATENCY,
    deliveryMs: 100,
    defaultRunMs: SCRIPT_MS,
    recordCalls: false,
  });
  const slack = await startFakeSlack();
  const database = `pcm_ops_bench_${randomBytes(5).toString('hex')}`;
  await adminQuery(`create database ${database}`);
  const databaseUrl = testServerUrl(database);
  await migrate(databaseUrl);
  try {
    const scenario: ScenarioInput = {
      mode,
      n,
      databaseUrl,
      awsUrl: aws.url,
      slackUrl: slack.url,
      slackToken: slack.botToken,
      pollIntervalMs: POLL_INTERVAL_MS,
      pollMaxIntervalMs: POLL_MAX_INTERVAL_MS,
    };
    const child = fork(fileURLToPath(new URL(thread === 'bot' ? './scenarioThread.js' : './scenario.ts', import.meta.url)), [], {
      // BENCH_SCENARIO_EXEC: a wrapper that execs Node for the scenario process (e.g. inside a memory-limited
      // cgroup, as a container limit would be: Node sizes its heap from the limit it finds).
      execPath: process.env['BENCH_SCENARIO_EXEC'] ?? process.execPath,
      env: { ...process.env, BENCH_SCENARIO: JSON.stringify(scenario) },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let before: Record<string, number> = {};
    let slackBefore = 0;
    const result = await new Promise<ScenarioResult>((resolve, reject) => {
      child.on('message', (m: { kind: string; result?: ScenarioResult }) => {
        if (m.kind === 'ready') {
          before = aws.callCounts();
          slackBefore = slack.calls.length;
          child.send({ kind: 'go' });
        } else if (m.kind === 'result' && m.result) resolve(m.result);
      });
      child.on('exit', (code) => reject(new Error(`scenario exited with ${code} before reporting`)));
    });
    const after = aws.callCounts();
    const calls: Record<string, number> = Object.fromEntries(
      Object.entries(after)
        .map(([op, c]) => [op, c - (before[op] ?? 0)] as const)
        .filter(([, c]) => c > 0),
    );
    const slackCalls = slack.calls.length - slackBefore;
    await new Promise((resolve) => child.once('exit', resolve));
    return { ...result, mode, n, calls, slackCalls, awsCalls: Object.values(calls).reduce((a: number, b) => a + Number(b), 0) };
  } finally {
    await Promise.all([aws.close(), slack.close()]);
    await adminQuery(`drop database if exists ${database} with (force)`);
  }
};

const rows: Row[] = [];
for (const n of sizes) {
  for (const mode of modes) {
    if (mode === 'baseline' && n > baselineMax) continue;
    process.stderr.write(`${mode} N=${n} … `);
    const row = await runScenario(mode, n);
    process.stderr.write(
      `${(row.wallMs / 1000).toFixed(1)} s, ${row.awsCalls} SSM+STS calls, ${row.dbRoundTrips} DB round trips, ${row.peakRssMb} MB\n`,
    );
    if (row.succeeded !== n) throw new Error(`${mode} N=${n}: only ${row.succeeded} of ${n} executions succeeded`);
    rows.push(row);
  }
}

const perRoundOf = (r: Row): string => {
  if (r.perRound.length === 0) return `${(r.dbRoundTrips / Math.max(1, r.pollRounds)).toFixed(0)} (mean)`;
  const middle = [...r.perRound.slice(1, -1)].sort((a, b) => a - b);
  return `${r.perRound[0]} / ${middle[Math.floor(middle.length / 2)] ?? '–'} / ${r.perRound.at(-1)}`;
};
const target = (SCRIPT_MS + 2 * POLL_MAX_INTERVAL_MS) / 1000;
const lines = [
  `Script ${SCRIPT_MS / 1000} s, delivery 0.1 s, SSM/STS latency ${LATENCY.min}–${LATENCY.max} ms per call, poll interval ${POLL_INTERVAL_MS / 1000} s growing to ${POLL_MAX_INTERVAL_MS / 1000} s`,
  `(wall-time target ≤ script + 2 × max poll interval = ${target} s). Output ${outputBytes > 0 ? `${outputBytes / 1024} KiB` : 'one line'} per instance. ${cpus().length} CPUs, ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, scenario on the ${thread === 'bot' ? "bot's worker thread (src/start.js heap limits)" : 'main thread (Node defaults)'}.`,
  '',
  '| Executor | N | Wall (approval → summary) | SSM+STS calls | per instance | Slack calls | DB round trips | per poll round: first / median / last | Poll rounds | Peak RSS during run (process max) |',
  '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.mode} | ${r.n.toLocaleString('en')} | ${(r.wallMs / 1000).toFixed(1)} s | ${r.awsCalls.toLocaleString('en')} | ${(r.awsCalls / r.n).toFixed(3)} | ${r.slackCalls} | ${r.dbRoundTrips.toLocaleString('en')} | ${perRoundOf(r)} | ${r.pollRounds} | ${r.peakRssMb} MB (${r.lifetimeMaxRssMb} MB) |`,
  ),
  '',
  'Calls by operation:',
  '',
  ...rows.map(
    (r) =>
      `- ${r.mode} N=${r.n}: ${Object.entries(r.calls)
        .map(([op, c]) => `${op} ${c}`)
        .join(', ')}` + (r.perRound.length > 0 ? `; DB round trips per poll round: ${r.perRound.join(', ')}` : ''),
  ),
];
console.log(lines.join('\n'));

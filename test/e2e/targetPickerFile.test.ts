// Issue 9, item 2: the request modal's type-ahead picker (multi_external_select answered from the inventory)
// and its uploaded target list (file_input read through files.info and the private download), end to end:
// signed requests to the bot process, the fake Slack/AWS/ServiceNow over HTTP, real PostgreSQL.
import { sql } from 'slonik';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { makeInstances } from '../../src/sandbox/aws/index.ts';
import { validateOptionsResponse } from '../../src/sandbox/slack/blockKitLimits.ts';
import type { SlackView } from '../../src/sandbox/slack/fakeSlackTypes.ts';
import { ACCOUNTS, CHANGE, SIGNING_SECRET, startSandbox, USERS, type Sandbox } from '../helpers/sandbox.ts';
import { blockSuggestionPayload, type InputValue } from '../helpers/slackPayloads.ts';
import { postInteraction } from '../helpers/slackRequest.ts';
import { latestRunId, openRequestModal, submitRequestModal, typeOps } from '../helpers/slackFlows.ts';

const fleet = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-east-1', count: 1200, name: 'pick', tags: { PatchGroup: 'prod-a' } });
const frontends = makeInstances({ accountId: ACCOUNTS.com.id, region: 'us-west-2', count: 5, name: 'web', tags: { Role: 'FrontEnd' } });
const gov = makeInstances({ accountId: ACCOUNTS.gov.id, region: 'us-gov-west-1', count: 3, name: 'gov' });
const all = [...fleet, ...frontends, ...gov];
const QC_REQUESTERS = 'S0QCREQS001';
/** The sandbox's configured account/regions. */
const SCOPES = Object.values(ACCOUNTS).reduce((n, a) => n + a.regions.length, 0);

let s: Sandbox;
let view: SlackView;

const countRuns = async () => s.db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`select count(*)::int as n from runs`);
const planOf = async (runId: string) =>
  s.db.pool.anyFirst(sql.type(z.object({ instance_id: z.string() }))`select instance_id from executions where run_id = ${runId}`);
const selectorsOf = async (runId: string) =>
  s.db.pool.oneFirst(sql.type(z.object({ target_selectors: z.array(z.string()) }))`select target_selectors from runs where id = ${runId}`);

/** What the picker offers `user` for `typed`, as Slack would receive it (validated against Slack's limits). */
const suggest = async (typed: string, user: string = USERS.requester): Promise<string[]> => {
  const response = await postInteraction(
    s.bot.url,
    SIGNING_SECRET,
    blockSuggestionPayload({ user, actionId: 'targets_picker', blockId: 'targets_picker', value: typed, view }),
  );
  expect(response.status).toBe(200);
  const body: unknown = await response.json();
  expect(validateOptionsResponse(body)).toEqual([]);
  return (body as { options: { value: string }[] }).options.map((o) => o.value);
};

/** Submits the request modal; waits for the "Checking…" path when the checks outlast Slack's 3 s. */
const submit = async (values: Record<string, InputValue>): Promise<{ runId?: string; errors?: Record<string, string> }> => {
  const before = await countRuns();
  const modal = await openRequestModal(s, '/qc-prep', USERS.requester);
  const answer = await submitRequestModal(s, modal, USERS.requester, { change: CHANGE, ...values });
  const body = answer.body as { response_action?: string; errors?: Record<string, string> } | undefined;
  if (body?.response_action === 'errors') return { errors: body.errors ?? {} };
  if (body?.response_action === 'update') {
    const shown = await s.slack.waitFor(
      (f) => {
        const text = JSON.stringify(f.views.get(modal.id)?.blocks ?? []);
        return text.includes('was submitted') || text.includes('was not submitted') ? text : undefined;
      },
      { timeoutMs: 30_000 },
    );
    if (shown.includes('was not submitted')) return { errors: { notice: shown } };
  }
  expect(await countRuns()).toBe(before + 1);
  return { runId: await latestRunId(s) };
};

beforeAll(async () => {
  s = await startSandbox({
    instances: all,
    env: { TOOL_REQUESTER_GROUPS: JSON.stringify({ 'qc-prep': QC_REQUESTERS }) },
  });
  s.slack.setUsergroup(QC_REQUESTERS, [USERS.requester]);
  const inventoried = async () => s.db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`select count(*)::int as n from instances`);
  // A new deployment syncs its inventory at once, not one INVENTORY_SYNC_MINUTES (15) later: nobody asked yet.
  const started = Date.now() + 30_000;
  while ((await inventoried()) < all.length) {
    if (Date.now() > started) throw new Error(`the start-up sync left ${await inventoried()} of ${all.length} instances`);
    await new Promise((r) => setTimeout(r, 200));
  }
  // And on demand (approvers/admins).
  await typeOps(s, USERS.admin, 'inventory sync');
  // The sync is done when every account/region has its ids and then its tags (GetResources) read.
  const deadline = Date.now() + 30_000;
  for (;;) {
    const n = await s.db.pool.oneFirst(sql.type(z.object({ n: z.number() }))`select count(*)::int as n from instances`);
    const tagged = await s.db.pool.oneFirst(
      sql.type(z.object({ n: z.number() }))`select count(*)::int as n from inventory_scopes where tags_last_success_at is not null`,
    );
    if (n >= all.length && tagged >= SCOPES) break;
    if (Date.now() > deadline) throw new Error(`inventory has ${n} of ${all.length} instances, ${tagged} of ${SCOPES} scopes' tags`);
    await new Promise((r) => setTimeout(r, 200));
  }
  view = await openRequestModal(s, '/qc-prep', USERS.requester);
}, 120_000);
afterAll(async () => {
  await s?.close();
});

describe('the type-ahead picker', () => {
  it('is in the request modal built from the tool definition, within Slack’s limits', () => {
    const blocks = view.blocks as { block_id?: string; optional?: boolean; element?: Record<string, unknown> }[];
    const picker = blocks.find((b) => b.block_id === 'targets_picker');
    expect(picker?.optional).toBe(true);
    expect(picker?.element).toMatchObject({ type: 'multi_external_select', action_id: 'targets_picker', min_query_length: 3 });
    const file = blocks.find((b) => b.block_id === 'targets_file');
    expect(file?.element).toMatchObject({ type: 'file_input', filetypes: ['txt', 'csv'], max_files: 1 });
    // The paste box is optional for Slack now (the picker or the file may name the targets instead).
    expect(blocks.find((b) => b.block_id === 'instances')?.optional).toBe(true);
  });

  it('answers from the inventory by id, computer name and IP prefix, at most 100 options', async () => {
    const target = fleet[137]!;
    expect(await suggest(target.instanceId.slice(0, 12))).toContain(target.instanceId);
    expect(await suggest(target.computerName!.toUpperCase())).toEqual(
      all
        .filter((i) => i.computerName === target.computerName)
        .map((i) => i.instanceId)
        .sort(),
    );
    const byIp = await suggest(target.ipAddress!);
    expect(byIp).toContain(target.instanceId);
    expect(byIp.every((id) => all.find((i) => i.instanceId === id)?.ipAddress?.startsWith(target.ipAddress!))).toBe(true);
    // 1,200 names start with "ip-10-0-": Slack takes 100.
    expect(await suggest('ip-10-0-')).toHaveLength(100);
    // Wildcards are matched literally.
    expect(await suggest('ip-%')).toEqual([]);
  });

  it('finds instances by a tag value the inventory sync read (GetResources), case-insensitively, never selected by it', async () => {
    // No selector ever named Role=FrontEnd: the sync read every instance's tags through the tagging API.
    expect(await suggest('frontend')).toEqual(frontends.map((i) => i.instanceId).sort());
    const reads = s.aws.calls.filter((c) => c.operation === 'GetResources');
    expect(reads.length).toBeGreaterThanOrEqual(SCOPES);
    expect(reads.every((c) => c.status === 200)).toBe(true);
    expect(new Set(reads.map((c) => c.partition))).toEqual(new Set(['aws', 'aws-us-gov']));
    // A tag selector still resolves through SSM and agrees with the picker.
    const { runId } = await submit({ instances: 'tag:Role=FrontEnd' });
    expect(await planOf(runId!)).toHaveLength(frontends.length);
    expect(await suggest('FRONTEND')).toEqual(frontends.map((i) => i.instanceId).sort());
  });

  it('gives nothing to someone who may not request the tool, or for fewer than min_query_length characters', async () => {
    const target = fleet[5]!;
    expect(await suggest(target.instanceId, USERS.outsider)).toEqual([]);
    expect(await suggest('i-')).toEqual([]);
  });

  it('joins the picked ids to the paste box, de-duplicated, and the frozen plan is exactly their union', async () => {
    const [a, b, c] = [fleet[10]!, fleet[11]!, gov[0]!].map((i) => i.instanceId);
    const { runId } = await submit({ instances: `${a}\n${b}`, targets_picker: [b!, c!] });
    expect(new Set(await planOf(runId!))).toEqual(new Set([a, b, c]));
    expect(await selectorsOf(runId!)).toEqual(['2 instance id(s)', `picker: ${b}, ${c}`]);
  });

  it('accepts picks alone', async () => {
    const picks = fleet.slice(20, 23).map((i) => i.instanceId);
    const { runId } = await submit({ targets_picker: picks });
    expect([...(await planOf(runId!))].sort()).toEqual([...picks].sort());
  });
});

describe('the uploaded target list', () => {
  it('a CSV of 1,000 ids becomes a plan of exactly those 1,000, read with the bot token', async () => {
    const chosen = fleet.slice(100, 1100);
    const csv = ['instance_id,owner', ...chosen.map((i, n) => `${i.instanceId},team-${n % 7}`)].join('\r\n');
    const fileId = s.slack.files.upload({ name: 'targets.csv', content: csv });
    const { runId } = await submit({ targets_file: [fileId] });
    const plan = await planOf(runId!);
    expect(plan).toHaveLength(1000);
    expect(new Set(plan)).toEqual(new Set(chosen.map((i) => i.instanceId)));
    expect(await selectorsOf(runId!)).toEqual(['file targets.csv: 1000 instance id(s)']);
    expect(s.slack.callsOf('files.info').at(-1)).toMatchObject({ ok: true, args: { file: fileId } });
    expect(s.slack.files.downloads.at(-1)).toMatchObject({ authorized: true, status: 200 });
  });

  it('a text file of computer names joins the paste box', async () => {
    const [x, y] = [gov[1]!, gov[2]!];
    const fileId = s.slack.files.upload({ name: 'hosts.txt', content: `# hosts\n${x.computerName}\n\n${x.computerName}\n` });
    const { runId } = await submit({ instances: y.instanceId, targets_file: [fileId] });
    expect(new Set(await planOf(runId!))).toEqual(new Set([x.instanceId, y.instanceId]));
  });

  const refused = async (fileId: string, pattern: RegExp): Promise<void> => {
    const before = await countRuns();
    const { errors, runId } = await submit({ instances: fleet[0]!.instanceId, targets_file: [fileId] });
    expect(runId).toBeUndefined();
    expect(errors?.targets_file ?? errors?.notice).toMatch(pattern);
    expect(await countRuns()).toBe(before);
  };

  it('refuses a file over 10 MB in the modal, whatever files.info says about its size', async () => {
    const line = `${fleet[0]!.instanceId}\n`;
    const big = line.repeat(Math.ceil((10 * 1024 * 1024 + 1) / line.length));
    await refused(s.slack.files.upload({ name: 'big.txt', content: big }), /larger than 10 MB/u);
    // A size that lies: the download itself is bounded, by its Content-Length or, sent chunked, by counting.
    const downloadsBefore = s.slack.files.downloads.length;
    await refused(s.slack.files.upload({ name: 'lying.txt', content: big, reportedSize: 100 }), /larger than 10 MB/u);
    await refused(s.slack.files.upload({ name: 'chunked.txt', content: big, reportedSize: 100, chunked: true }), /larger than 10 MB/u);
    expect(s.slack.files.downloads.length).toBe(downloadsBefore + 2);
  });

  it('refuses when the download wants another token (Slack redirects to sign-in), a missing file, or a missing scope', async () => {
    const ok = `${fleet[0]!.instanceId}\n`;
    s.slack.files.expectDownloadToken('xoxb-rotated-token');
    try {
      await refused(s.slack.files.upload({ name: 'a.txt', content: ok }), /refused the download \(HTTP 302\)/u);
      expect(s.slack.files.downloads.at(-1)).toMatchObject({ authorized: false, status: 302 });
    } finally {
      s.slack.files.expectDownloadToken(undefined);
    }
    const gone = s.slack.files.upload({ name: 'gone.txt', content: ok });
    s.slack.files.delete(gone);
    await refused(gone, /file is gone/u);
    s.slack.files.revokeScope('files:read');
    try {
      await refused(s.slack.files.upload({ name: 'b.txt', content: ok }), /files:read/u);
    } finally {
      s.slack.files.grantScope('files:read');
    }
  });

  it('refuses a forged submission: someone else’s file, two files, more picks than the picker allows', async () => {
    const ok = `${fleet[0]!.instanceId}\n`;
    await refused(s.slack.files.upload({ name: 'theirs.txt', content: ok, user: USERS.approver }), /yourself/u);
    const two = [s.slack.files.upload({ name: 'a.txt', content: ok }), s.slack.files.upload({ name: 'b.txt', content: ok })];
    const before = await countRuns();
    expect((await submit({ instances: fleet[0]!.instanceId, targets_file: two })).errors?.targets_file).toMatch(/one file/u);
    const picks = fleet.slice(0, 101).map((i) => i.instanceId);
    expect((await submit({ targets_picker: picks })).errors?.targets_picker).toMatch(/At most 100/u);
    expect(await countRuns()).toBe(before);
  });

  it('refuses what is not a target list: another file type, a CSV without a known header, unknown lines', async () => {
    await refused(s.slack.files.upload({ name: 'run.sh', content: 'i-0123456789abcdef0' }), /\.txt or \.csv/u);
    await refused(s.slack.files.upload({ name: 'x.csv', content: 'server,owner\nweb-01,me\n' }), /no header naming/u);
    await refused(s.slack.files.upload({ name: 'y.txt', content: 'i-0123456789abcdef0\n<!channel> $(rm -rf /)\n' }), /line 2/u);
  });
});

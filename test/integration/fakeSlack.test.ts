// The fake Slack against the real WebClient and a real Bolt App, and the request helpers against Bolt's verifier.
import { createHmac } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { App, LogLevel } from '@slack/bolt';
import type { Logger } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { startFakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';
import type { FakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';
import {
  blockActionsPayload,
  blockSuggestionPayload,
  stateValuesForBlocks,
  stateValuesFrom,
  viewClosedPayload,
  viewSubmissionPayload,
} from '../helpers/slackPayloads.ts';
import { postInteraction, postSlashCommand, signSlackRequest } from '../helpers/slackRequest.ts';

const section = (text: string) => ({ type: 'section', text: { type: 'mrkdwn', text } });

/** Rejects with the Slack error code of a failed WebClient call. */
async function slackError(call: Promise<unknown>): Promise<string> {
  try {
    await call;
  } catch (error) {
    const data = (error as { data?: { error?: string } }).data;
    return data?.error ?? String(error);
  }
  throw new Error('expected the call to fail');
}

// WebClient logs Slack's "[ERROR] …" validation details at error level; the tests assert them instead.
const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };

let fake: FakeSlack;
let client: WebClient;

beforeAll(async () => {
  fake = await startFakeSlack({
    users: { U0ALICE001: { name: 'alice', realName: 'Alice A' }, U0BOB00001: { name: 'bob' } },
    usergroups: { S0APPROVER: ['U0BOB00001'] },
  });
  client = new WebClient(fake.botToken, { slackApiUrl: fake.url, retryConfig: { retries: 0 }, logger: silent });
});
afterAll(async () => fake.close());
afterEach(() => fake.reset());

describe('fake Slack Web API via WebClient', () => {
  it('records messages, updates and thread replies with increasing ts', async () => {
    const auth = await client.auth.test();
    expect(auth).toMatchObject({ ok: true, user_id: fake.botUserId, team_id: fake.teamId, bot_id: 'B0BOT00001' });

    const parent = await client.chat.postMessage({ channel: 'C0OPS00001', text: 'Run requested', blocks: [section('*Run* requested')] });
    expect(parent.channel).toBe('C0OPS00001');
    expect(parent.ts).toMatch(/^\d{10}\.\d{6}$/);
    expect(parent.message?.blocks).toEqual([section('*Run* requested')]);

    const reply = await client.chat.postMessage({ channel: 'C0OPS00001', thread_ts: parent.ts!, text: 'step 1 ok' });
    expect(reply.ts! > parent.ts!).toBe(true);
    await client.chat.update({ channel: 'C0OPS00001', ts: parent.ts!, text: 'Approved', blocks: [section('Approved')] });

    const [message] = fake.messages('C0OPS00001');
    expect(message).toMatchObject({ ts: parent.ts, text: 'Approved', blocks: [section('Approved')] });
    expect(message?.history).toMatchObject([{ text: 'Run requested', blocks: [section('*Run* requested')] }]);
    expect(fake.thread('C0OPS00001', parent.ts!).map((m) => m.text)).toEqual(['step 1 ok']);
    // WebClient form-encodes and sends blocks as a JSON string; the fake records them parsed.
    const post = fake.callsOf('chat.postMessage')[0];
    expect(post?.contentType).toBe('application/x-www-form-urlencoded');
    expect(post?.args['blocks']).toEqual([section('*Run* requested')]);

    expect(await slackError(client.chat.update({ channel: 'C0OPS00001', ts: '1.000000', text: 'x' }))).toBe('message_not_found');
    expect(await slackError(client.chat.postMessage({ channel: 'C0OPS00001', thread_ts: '1.000000', text: 'x' }))).toBe(
      'invalid_thread_ts',
    );
    const link = await client.chat.getPermalink({ channel: 'C0OPS00001', message_ts: reply.ts! });
    expect(link.permalink).toContain(`/archives/C0OPS00001/p${reply.ts!.replace('.', '')}?thread_ts=${parent.ts}`);
  });

  it('answers the lookup methods and ephemerals', async () => {
    expect((await client.usergroups.users.list({ usergroup: 'S0APPROVER' })).users).toEqual(['U0BOB00001']);
    fake.setUsergroup('S0APPROVER', ['U0ALICE001', 'U0BOB00001']);
    expect((await client.usergroups.users.list({ usergroup: 'S0APPROVER' })).users).toHaveLength(2);
    expect(await slackError(client.usergroups.users.list({ usergroup: 'S0NOPE' }))).toBe('no_such_subteam');
    expect((await client.users.info({ user: 'U0ALICE001' })).user).toMatchObject({
      id: 'U0ALICE001',
      name: 'alice',
      real_name: 'Alice A',
      deleted: false,
    });
    expect(await slackError(client.users.info({ user: 'U0NOBODY01' }))).toBe('user_not_found');

    const dm = await client.conversations.open({ users: 'U0ALICE001' });
    expect(dm.channel?.id).toBe(fake.dmChannelOf('U0ALICE001'));
    const posted = await client.chat.postMessage({ channel: 'U0ALICE001', text: 'hi' });
    expect(posted.channel).toBe(dm.channel?.id);

    const eph = await client.chat.postEphemeral({ channel: 'C0OPS00001', user: 'U0ALICE001', text: 'only you' });
    expect(eph.message_ts).toBeTruthy();
    expect(fake.ephemerals('U0ALICE001')).toMatchObject([{ channel: 'C0OPS00001', text: 'only you', source: 'chat.postEphemeral' }]);
    expect(await slackError(client.apiCall('chat.scheduleMessage', {}))).toBe('unknown_method');
  });

  it('opens a modal once per trigger id and enforces expiry, hash and limits', async () => {
    const modal = {
      type: 'modal' as const,
      callback_id: 'run_confirm',
      title: { type: 'plain_text' as const, text: 'Confirm run' },
      blocks: [section('Sure?')],
    };
    const trigger = fake.issueTriggerId({ userId: 'U0ALICE001' });
    const opened = await client.views.open({ trigger_id: trigger, view: modal });
    expect(opened.view?.id).toMatch(/^V/);
    expect(opened.view).toMatchObject({ callback_id: 'run_confirm', type: 'modal', root_view_id: null });
    expect(fake.modalsOf('U0ALICE001')).toHaveLength(1);

    expect(await slackError(client.views.open({ trigger_id: trigger, view: modal }))).toBe('invalid_trigger_id');
    expect(await slackError(client.views.open({ trigger_id: 'made.up.id', view: modal }))).toBe('invalid_trigger_id');
    expect(await slackError(client.views.open({ trigger_id: fake.issueTriggerId({ ageMs: 3100 }), view: modal }))).toBe(
      'expired_trigger_id',
    );

    const tooLongTitle = { ...modal, title: { type: 'plain_text' as const, text: 'A title that is far too long' } };
    const refused = fake.issueTriggerId();
    expect(await slackError(client.views.open({ trigger_id: refused, view: tooLongTitle }))).toBe('invalid_arguments');
    expect(fake.callsOf('views.open').at(-1)?.response['response_metadata']).toEqual({
      messages: ['[ERROR] must be less than 25 characters [json-pointer:/view/title/text]'],
    });

    const viewId = opened.view!.id!;
    expect(await slackError(client.views.update({ view_id: viewId, hash: 'stale', view: modal }))).toBe('hash_conflict');
    const updated = await client.views.update({
      view_id: viewId,
      hash: opened.view!.hash!,
      view: { ...modal, blocks: [section('Running…')] },
    });
    expect(updated.view?.hash).not.toBe(opened.view?.hash);
    expect(fake.views.get(viewId)?.blocks).toEqual([section('Running…')]);

    const pushed = await client.views.push({ trigger_id: fake.issueTriggerId({ viewId }), view: modal });
    expect(pushed.view).toMatchObject({ previous_view_id: viewId, root_view_id: viewId });

    await client.views.publish({ user_id: 'U0BOB00001', view: { type: 'home', blocks: [section('Your approvals')] } });
    expect(fake.homeOf('U0BOB00001')?.blocks).toEqual([section('Your approvals')]);
  });

  it('refuses what Slack refuses', async () => {
    const bad = new WebClient('xoxb-wrong', { slackApiUrl: fake.url, retryConfig: { retries: 0 }, logger: silent });
    expect(await slackError(bad.chat.postMessage({ channel: 'C1', text: 'x' }))).toBe('invalid_auth');
    const none = new WebClient(undefined, { slackApiUrl: fake.url, retryConfig: { retries: 0 }, logger: silent });
    expect(await slackError(none.auth.test())).toBe('not_authed');

    const blocks = Array.from({ length: 51 }, (_, i) => section(`line ${i}`));
    expect(await slackError(client.chat.postMessage({ channel: 'C1', text: 'x', blocks }))).toBe('invalid_blocks');
    expect(fake.callsOf('chat.postMessage').at(-1)?.response['errors']).toEqual(['must be less than 51 items [json-pointer:/blocks]']);
    expect(await slackError(client.chat.postMessage({ channel: 'C1', text: 'x', blocks: [section('a'.repeat(3001))] }))).toBe(
      'invalid_blocks',
    );
    expect(
      await slackError(
        client.chat.postMessage({
          channel: 'C1',
          text: 'x',
          blocks: [{ type: 'header', text: { type: 'plain_text', text: 'h'.repeat(151) } }],
        }),
      ),
    ).toBe('invalid_blocks');
    expect(await slackError(client.chat.postMessage({ channel: 'C1', text: 'x', blocks: [section('')] }))).toBe('invalid_blocks');
    expect(await slackError(client.chat.postMessage({ channel: 'C1', text: '' }))).toBe('no_text');
    expect(fake.messages()).toHaveLength(0);
  });

  it('answers 429 with Retry-After, which WebClient waits out and retries', async () => {
    const retrying = new WebClient(fake.botToken, {
      slackApiUrl: fake.url,
      retryConfig: { retries: 3, minTimeout: 0, maxTimeout: 0 },
      logger: silent,
    });
    fake.rateLimit('chat.postMessage', { times: 2, retryAfterSeconds: 0 });
    const result = await retrying.chat.postMessage({ channel: 'C0OPS00001', text: 'eventually' });
    expect(result.ok).toBe(true);
    expect(fake.callsOf('chat.postMessage').map((c) => c.status)).toEqual([429, 429, 200]);
    expect(fake.messages('C0OPS00001')).toHaveLength(1);

    const rejecting = new WebClient(fake.botToken, { slackApiUrl: fake.url, rejectRateLimitedCalls: true, logger: silent });
    fake.rateLimit('chat.update', { retryAfterSeconds: 7 });
    await expect(rejecting.chat.update({ channel: 'C0OPS00001', ts: result.ts!, text: 'x' })).rejects.toMatchObject({
      code: 'slack_webapi_rate_limited_error',
      retryAfter: 7,
    });
  });

  it('fails a method on demand: a number of times, or until healed', async () => {
    fake.setUsergroup('S0APPROVER', ['U0ALICE001']);
    fake.failNext('usergroups.users.list', 'internal_error', { times: Number.POSITIVE_INFINITY });
    for (let i = 0; i < 3; i += 1)
      expect(await slackError(client.usergroups.users.list({ usergroup: 'S0APPROVER' }))).toBe('internal_error');
    expect((await client.auth.test()).ok).toBe(true);
    fake.heal('usergroups.users.list');
    expect((await client.usergroups.users.list({ usergroup: 'S0APPROVER' })).users).toEqual(['U0ALICE001']);
    fake.failNext('usergroups.users.list', 'internal_error', { times: 1 });
    expect(await slackError(client.usergroups.users.list({ usergroup: 'S0APPROVER' }))).toBe('internal_error');
    expect((await client.usergroups.users.list({ usergroup: 'S0APPROVER' })).users).toEqual(['U0ALICE001']);
  });

  it('applies a call and then fails it on demand (an answer lost after Slack accepted it)', async () => {
    fake.failNext('chat.postMessage', 'internal_error', { applied: true });
    expect(await slackError(client.chat.postMessage({ channel: 'C0GENERAL1', text: 'landed anyway' }))).toBe('internal_error');
    expect(fake.messages('C0GENERAL1').map((m) => m.text)).toEqual(['landed anyway']);
  });

  it('validates message metadata and reads it back from history and replies only when asked', async () => {
    const metadata = { event_type: 'pcm_ops_test', event_payload: { id: '7' } };
    expect(
      await slackError(
        client.chat.postMessage({ channel: 'C0GENERAL1', text: 'x', metadata: { event_type: 'no spaces', event_payload: {} } }),
      ),
    ).toBe('invalid_metadata_schema');
    const parent = await client.chat.postMessage({ channel: 'C0GENERAL1', text: 'parent', metadata });
    const older = await client.chat.postMessage({ channel: 'C0GENERAL1', text: 'second' });
    await client.chat.postMessage({ channel: 'C0GENERAL1', text: 'reply', thread_ts: parent.ts ?? '', metadata });
    // Newest first, top level only; metadata with include_all_metadata.
    const history = await client.conversations.history({ channel: 'C0GENERAL1', include_all_metadata: true });
    expect(history.messages?.map((m) => [m.text, (m as { metadata?: unknown }).metadata])).toEqual([
      ['second', undefined],
      ['parent', metadata],
    ]);
    expect((await client.conversations.history({ channel: 'C0GENERAL1' })).messages?.some((m) => 'metadata' in m)).toBe(false);
    // oldest is exclusive; pages follow the cursor.
    const after = await client.conversations.history({ channel: 'C0GENERAL1', oldest: parent.ts ?? '' });
    expect(after.messages?.map((m) => m.ts)).toEqual([older.ts]);
    const first = await client.conversations.history({ channel: 'C0GENERAL1', limit: 1 });
    expect(first.has_more).toBe(true);
    const second = await client.conversations.history({
      channel: 'C0GENERAL1',
      limit: 1,
      cursor: first.response_metadata?.next_cursor ?? '',
    });
    expect(second.messages?.map((m) => m.text)).toEqual(['parent']);
    // A thread: its parent, then the replies.
    const replies = await client.conversations.replies({ channel: 'C0GENERAL1', ts: parent.ts ?? '', include_all_metadata: true });
    expect(replies.messages?.map((m) => m.text)).toEqual(['parent', 'reply']);
    expect(await slackError(client.conversations.replies({ channel: 'C0GENERAL1', ts: '1.000001' }))).toBe('thread_not_found');
  });

  it('refuses history to a token without the scope and in a channel the bot is not in', async () => {
    const narrow = await startFakeSlack({
      channels: { C0OUTSIDE1: { name: 'outside', member: false }, C0INSIDE01: { name: 'inside' } },
      scopes: ['chat:write', 'im:history'],
    });
    try {
      const c = new WebClient(narrow.botToken, { slackApiUrl: narrow.url, retryConfig: { retries: 0 }, logger: silent });
      expect(await slackError(c.conversations.history({ channel: 'C0INSIDE01' }))).toBe('missing_scope');
      expect((await c.conversations.history({ channel: narrow.dmChannelOf('U0ALICE001') })).ok).toBe(true);
      const wide = await startFakeSlack({ channels: { C0OUTSIDE1: { name: 'outside', member: false } } });
      try {
        const w = new WebClient(wide.botToken, { slackApiUrl: wide.url, retryConfig: { retries: 0 }, logger: silent });
        expect(await slackError(w.conversations.history({ channel: 'C0OUTSIDE1' }))).toBe('not_in_channel');
        expect(await slackError(w.conversations.history({ channel: 'C0UNKNOWN1' }))).toBe('channel_not_found');
      } finally {
        await wide.close();
      }
    } finally {
      await narrow.close();
    }
  });

  it('records response_url posts, applies replace_original, and allows 5 uses', async () => {
    const posted = await client.chat.postMessage({ channel: 'C0OPS00001', text: 'Approve?' });
    const url = fake.responseUrl({ channel: 'C0OPS00001', messageTs: posted.ts!, user: 'U0BOB00001' });
    const send = (body: object) =>
      fetch(url, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });

    expect((await send({ replace_original: true, text: 'Approved by bob' })).status).toBe(200);
    expect(fake.message('C0OPS00001', posted.ts!)?.text).toBe('Approved by bob');
    await send({ text: 'just for you' });
    expect(fake.ephemerals('U0BOB00001')).toMatchObject([{ text: 'just for you', source: 'response_url' }]);
    for (let i = 0; i < 3; i += 1) await send({ response_type: 'in_channel', text: `update ${i}` });
    const sixth = await send({ text: 'one too many' });
    expect(sixth.status).toBe(404);
    expect(await sixth.json()).toEqual({ ok: false, error: 'used_url' });
    const id = url.split('/').at(-1)!;
    expect(fake.responses(id).map((r) => r.status)).toEqual([200, 200, 200, 200, 200, 404]);
    expect(fake.messages('C0OPS00001').map((m) => m.text)).toEqual(['Approved by bob', 'update 0', 'update 1', 'update 2']);
  });
});

describe('fake Slack external file upload', () => {
  const post = (url: string, body: string | Buffer) => fetch(url, { method: 'POST', body });

  it('uploads through getUploadURLExternal → one POST of exactly `length` bytes → completeUploadExternal into a thread', async () => {
    const parent = await client.chat.postMessage({ channel: 'C0OPS00001', text: 'parent' });
    const reply = await client.chat.postMessage({ channel: 'C0OPS00001', text: 'reply', thread_ts: parent.ts ?? '' });
    const bytes = Buffer.from('a,b\r\n1,2\r\n');
    const url = await client.files.getUploadURLExternal({ filename: 'x.csv', length: bytes.length });
    expect(url.file_id).toMatch(/^F/u);
    // Completing before the bytes arrived: Slack has nothing to share.
    expect(await slackError(client.files.completeUploadExternal({ files: [{ id: url.file_id ?? '' }], channel_id: 'C0OPS00001' }))).toBe(
      'file_not_found',
    );
    expect((await post(url.upload_url ?? '', bytes)).status).toBe(200);
    // The upload URL is single-use.
    expect((await post(url.upload_url ?? '', bytes)).status).toBe(404);
    // thread_ts must be the parent's, never a reply's.
    expect(
      await slackError(
        client.files.completeUploadExternal({ files: [{ id: url.file_id ?? '' }], channel_id: 'C0OPS00001', thread_ts: reply.ts ?? '' }),
      ),
    ).toBe('invalid_thread_ts');
    const done = await client.files.completeUploadExternal({
      files: [{ id: url.file_id ?? '', title: 'Targets' }],
      channel_id: 'C0OPS00001',
      thread_ts: parent.ts ?? '',
      initial_comment: 'the list',
    });
    expect(done.files?.[0]).toMatchObject({ id: url.file_id, title: 'Targets' });
    expect(fake.filesIn('C0OPS00001', parent.ts ?? '').map((f) => f.id)).toEqual([url.file_id]);
    expect(fake.fileContent(url.file_id ?? '')).toBe('a,b\r\n1,2\r\n');
    expect(fake.thread('C0OPS00001', parent.ts ?? '').at(-1)).toMatchObject({ text: 'the list', files: [url.file_id] });
    // Once completed, a second completion shares nothing more.
    expect(await slackError(client.files.completeUploadExternal({ files: [{ id: url.file_id ?? '' }], channel_id: 'C0OPS00001' }))).toBe(
      'file_not_found',
    );
    const info = await client.files.info({ file: url.file_id ?? '' });
    expect(info.file?.channels).toEqual(['C0OPS00001']);
  });

  it('refuses a wrong length, an expired URL, a missing scope, and a channel the bot is not in', async () => {
    const url = await client.files.getUploadURLExternal({ filename: 'x.csv', length: 10 });
    expect((await post(url.upload_url ?? '', 'short')).status).toBe(400);
    expect(await slackError(client.files.getUploadURLExternal({ filename: 'x.csv', length: 0 }))).toBe('missing_argument');

    const strict = await startFakeSlack({
      uploadUrlTtlMs: 0,
      scopes: ['chat:write'],
      channels: { C0IN000001: { name: 'in' }, C0OUT00001: { name: 'out', member: false } },
    });
    const other = new WebClient(strict.botToken, { slackApiUrl: strict.url, retryConfig: { retries: 0 }, logger: silent });
    try {
      expect(await slackError(other.files.getUploadURLExternal({ filename: 'x.csv', length: 3 }))).toBe('missing_scope');
    } finally {
      await strict.close();
    }
    const scoped = await startFakeSlack({
      uploadUrlTtlMs: 50,
      channels: { C0IN000001: { name: 'in' }, C0OUT00001: { name: 'out', member: false } },
    });
    const scopedClient = new WebClient(scoped.botToken, { slackApiUrl: scoped.url, retryConfig: { retries: 0 }, logger: silent });
    try {
      const late = await scopedClient.files.getUploadURLExternal({ filename: 'x.csv', length: 3 });
      await new Promise((r) => setTimeout(r, 80));
      expect((await post(late.upload_url ?? '', 'abc')).status).toBe(410);
      const ok = await scopedClient.files.getUploadURLExternal({ filename: 'x.csv', length: 3 });
      expect((await post(ok.upload_url ?? '', 'abc')).status).toBe(200);
      const complete = (channel: string) =>
        scopedClient.files.completeUploadExternal({ files: [{ id: ok.file_id ?? '' }], channel_id: channel });
      expect(await slackError(complete('C0NOWHERE1'))).toBe('channel_not_found');
      expect(await slackError(complete('C0OUT00001'))).toBe('not_in_channel');
      await complete('C0IN000001');
      expect(scoped.filesIn('C0IN000001')).toHaveLength(1);
    } finally {
      await scoped.close();
    }
  });
});

describe('signSlackRequest', () => {
  it("matches Slack's documented example and an independent HMAC", () => {
    // From Slack's "Verifying requests from Slack" guide.
    const secret = '8f742231b10e8888abcd99yyyzzz85a5';
    const body =
      'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c';
    const headers = signSlackRequest(secret, body, 1531420618);
    expect(headers).toEqual({
      'X-Slack-Signature': 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
      'X-Slack-Request-Timestamp': '1531420618',
    });
    const independent = createHmac('sha256', 'shh').update('v0:1700000000:payload=%7B%7D').digest('hex');
    expect(signSlackRequest('shh', 'payload=%7B%7D', 1700000000)['X-Slack-Signature']).toBe(`v0=${independent}`);
  });
});

describe('helpers drive a real Bolt App', () => {
  const signingSecret = 'test-signing-secret';
  const warnings: string[] = [];
  const logger: Logger = {
    debug: () => {},
    info: () => {},
    warn: (...msg: unknown[]) => void warnings.push(msg.map(String).join(' ')),
    error: () => {},
    setLevel: () => {},
    getLevel: () => LogLevel.WARN,
    setName: () => {},
  };
  let app: App;
  let botUrl: string;
  const seen: Record<string, unknown>[] = [];

  beforeAll(async () => {
    app = new App({
      token: fake.botToken,
      signingSecret,
      logger,
      tokenVerificationEnabled: false,
      clientOptions: { slackApiUrl: fake.url, retryConfig: { retries: 0 } },
    });
    app.command('/pcm', async ({ ack, command, respond, client: c }) => {
      await ack();
      seen.push({ kind: 'command', text: command.text });
      await c.views.open({
        trigger_id: command.trigger_id,
        view: {
          type: 'modal',
          callback_id: 'run_form',
          title: { type: 'plain_text', text: 'Run' },
          submit: { type: 'plain_text', text: 'Go' },
          blocks: RUN_FORM_BLOCKS,
        },
      });
      await respond({ text: `got ${command.text}` });
    });
    app.action({ block_id: 'approval', action_id: 'approve' }, async ({ ack, body, action }) => {
      await ack();
      seen.push({ kind: 'action', value: (action as { value?: string }).value, user: body.user.id });
    });
    app.view('run_form', async ({ ack, view }) => {
      seen.push({ kind: 'submission', values: view.state.values, metadata: view.private_metadata });
      await ack({ response_action: 'errors', errors: { reason: 'Too short' } });
    });
    app.view({ callback_id: 'run_form', type: 'view_closed' }, async ({ ack }) => {
      await ack();
      seen.push({ kind: 'closed' });
    });
    app.options<'block_suggestion'>({ action_id: 'target' }, async ({ ack, options }) => {
      await ack({ options: [{ text: { type: 'plain_text', text: `web-${options.value}` }, value: `web-${options.value}` }] });
    });
    const server = await app.start({ port: 0, host: '127.0.0.1' });
    botUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => app.stop());

  it('acknowledges a signed slash command and refuses bad signatures and stale timestamps', async () => {
    const triggerId = fake.issueTriggerId({ userId: 'U0ALICE001' });
    const responseUrl = fake.responseUrl({ channel: 'C0OPS00001', user: 'U0ALICE001' });
    const ok = await postSlashCommand(botUrl, signingSecret, {
      text: 'run restart-nginx CHG0012345',
      trigger_id: triggerId,
      response_url: responseUrl,
    });
    expect(ok.status).toBe(200);
    await fake.waitFor((f) => f.responses().length === 1);
    expect(fake.responses()[0]?.body).toEqual({ text: 'got run restart-nginx CHG0012345' });
    expect(fake.modalsOf('U0ALICE001')[0]?.callback_id).toBe('run_form');

    const forged = await postSlashCommand(botUrl, signingSecret, { text: 'x' }, { badSignature: true });
    expect(forged.status).toBe(401);
    expect(await forged.text()).toBe('');
    const stale = await postSlashCommand(botUrl, signingSecret, { text: 'x' }, { timestamp: Math.floor(Date.now() / 1000) - 6 * 60 });
    expect(stale.status).toBe(401);
    expect(warnings.join('\n')).toMatch(/signature mismatch[\s\S]*stale/);
    expect(seen.filter((s) => s.kind === 'command')).toHaveLength(1);
  });

  it('routes block_actions, view_submission, view_closed and block_suggestion payloads', async () => {
    seen.length = 0;
    const posted = await client.chat.postMessage({
      channel: 'C0OPS00001',
      text: 'Approve?',
      blocks: [
        {
          type: 'actions',
          block_id: 'approval',
          elements: [
            { type: 'button', action_id: 'approve', text: { type: 'plain_text', text: 'Approve' }, value: 'req-42', style: 'primary' },
          ],
        },
      ],
    });
    const message = fake.message('C0OPS00001', posted.ts!)!;
    const click = await postInteraction(
      botUrl,
      signingSecret,
      blockActionsPayload({ user: 'U0BOB00001', actionId: 'approve', message, responseUrl: fake.responseUrl() }),
    );
    expect(click.status).toBe(200);

    const view = { id: 'V0FAKE99999', callback_id: 'run_form', private_metadata: '{"req":42}', blocks: RUN_FORM_BLOCKS };
    const submit = await postInteraction(
      botUrl,
      signingSecret,
      viewSubmissionPayload({ user: 'U0ALICE001', view, values: { reason_input: 'patching', target: 'web-01', confirm: ['yes'] } }),
    );
    expect(submit.status).toBe(200);
    expect(await submit.json()).toEqual({ response_action: 'errors', errors: { reason: 'Too short' } });

    expect((await postInteraction(botUrl, signingSecret, viewClosedPayload({ user: 'U0ALICE001', view }))).status).toBe(200);
    const suggestion = await postInteraction(
      botUrl,
      signingSecret,
      blockSuggestionPayload({ user: 'U0ALICE001', actionId: 'target', blockId: 'target_block', value: '0', view }),
    );
    expect(await suggestion.json()).toEqual({ options: [{ text: { type: 'plain_text', text: 'web-0' }, value: 'web-0' }] });

    expect(seen).toEqual([
      { kind: 'action', value: 'req-42', user: 'U0BOB00001' },
      {
        kind: 'submission',
        metadata: '{"req":42}',
        values: {
          reason: { reason_input: { type: 'plain_text_input', value: 'patching' } },
          target_block: {
            target: {
              type: 'external_select',
              selected_option: { text: { type: 'plain_text', text: 'web-01', emoji: true }, value: 'web-01' },
            },
          },
          confirm_block: {
            confirm: { type: 'checkboxes', selected_options: [{ text: { type: 'mrkdwn', text: 'I checked the change' }, value: 'yes' }] },
          },
          count_block: { count: { type: 'number_input', value: '2' } },
        },
      },
      { kind: 'closed' },
    ]);
  });
});

describe('state value builders', () => {
  it('build Slack state shapes and catch options that do not exist', () => {
    expect(
      stateValuesFrom([
        { blockId: 'b1', actionId: 'a1', type: 'static_select', value: 'web', text: 'Web servers' },
        { blockId: 'b1', actionId: 'a2', type: 'radio_buttons', value: null },
        { blockId: 'b2', actionId: 'a3', type: 'number_input', value: 5 },
      ]),
    ).toEqual({
      b1: {
        a1: { type: 'static_select', selected_option: { text: { type: 'plain_text', text: 'Web servers', emoji: true }, value: 'web' } },
        a2: { type: 'radio_buttons', selected_option: null },
      },
      b2: { a3: { type: 'number_input', value: '5' } },
    });
    expect(stateValuesForBlocks(RUN_FORM_BLOCKS)['reason']).toEqual({ reason_input: { type: 'plain_text_input', value: null } });
    expect(() => stateValuesForBlocks(RUN_FORM_BLOCKS, { confirm: ['maybe'] })).toThrow(/'maybe' is not an option/);
    expect(() => stateValuesForBlocks(RUN_FORM_BLOCKS, { typo: 'x' })).toThrow(/no input with action_id typo/);
  });
});

const RUN_FORM_BLOCKS = [
  {
    type: 'input',
    block_id: 'reason',
    label: { type: 'plain_text', text: 'Reason' },
    element: { type: 'plain_text_input', action_id: 'reason_input', max_length: 500 },
  },
  {
    type: 'input',
    block_id: 'target_block',
    label: { type: 'plain_text', text: 'Target' },
    element: { type: 'external_select', action_id: 'target', min_query_length: 0 },
  },
  {
    type: 'input',
    block_id: 'confirm_block',
    label: { type: 'plain_text', text: 'Confirm' },
    element: {
      type: 'checkboxes',
      action_id: 'confirm',
      options: [{ text: { type: 'mrkdwn', text: 'I checked the change' }, value: 'yes' }],
    },
  },
  {
    type: 'input',
    block_id: 'count_block',
    label: { type: 'plain_text', text: 'Batch size' },
    element: { type: 'number_input', action_id: 'count', is_decimal_allowed: false, initial_value: '2' },
  },
];

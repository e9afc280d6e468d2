// The fake Slack's uploaded files (files.info, the private download) and its checks of the picker and file
// elements, against the real WebClient; and the bot's reader of an uploaded target list against them.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { LogLevel, type Logger } from '@slack/bolt';
import { WebClient } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { validateOptionsResponse, validateView } from '../../src/sandbox/slack/blockKitLimits.ts';
import { startFakeSlack, type FakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';
import { createTargetFileReader } from '../../src/slack/readTargetFile.ts';

const silent: Logger = { debug() {}, info() {}, warn() {}, error() {}, setLevel() {}, getLevel: () => LogLevel.ERROR, setName() {} };

let fake: FakeSlack;
let client: WebClient;
let hanging: Server;

const slackError = async (call: Promise<unknown>): Promise<string> => {
  try {
    await call;
  } catch (error) {
    return (error as { data?: { error?: string } }).data?.error ?? String(error);
  }
  throw new Error('expected the call to fail');
};

const modalWith = (element: Record<string, unknown>, blockType: 'input' | 'actions' = 'input') => ({
  type: 'modal',
  title: { type: 'plain_text', text: 'Request' },
  submit: { type: 'plain_text', text: 'Submit' },
  blocks: [
    blockType === 'input'
      ? { type: 'input', block_id: 'b', label: { type: 'plain_text', text: 'Targets' }, element: { action_id: 'a', ...element } }
      : { type: 'actions', block_id: 'b', elements: [{ action_id: 'a', ...element }] },
  ],
});

beforeAll(async () => {
  fake = await startFakeSlack({ users: { U0REQUESTER: { name: 'requester' } } });
  client = new WebClient(fake.botToken, { slackApiUrl: fake.url, logger: silent, retryConfig: { retries: 0 } });
  // Accepts and never answers: a download that does not finish.
  hanging = createServer(() => undefined);
  await new Promise<void>((resolve) => hanging.listen(0, '127.0.0.1', () => resolve()));
});
afterAll(async () => {
  hanging.closeAllConnections();
  await new Promise((r) => hanging.close(r));
  await fake.close();
});

describe('the fake Slack is strict about the picker and the file input', () => {
  const picker = { type: 'multi_external_select', min_query_length: 3, max_selected_items: 100 };
  const file = { type: 'file_input', filetypes: ['txt', 'csv'], max_files: 1 };

  it('accepts them as the request modal builds them', async () => {
    expect(validateView(modalWith(picker), 'modal')).toEqual([]);
    expect(validateView(modalWith(file), 'modal')).toEqual([]);
    const opened = await client.views.open({ trigger_id: fake.issueTriggerId(), view: modalWith(file) as never });
    expect(opened.ok).toBe(true);
  });

  it('refuses what Slack refuses', async () => {
    const option = (text: string, value = 'v') => ({ text: { type: 'plain_text', text }, value });
    expect(validateView(modalWith({ ...picker, options: [option('a')] }))).toEqual([expect.stringContaining('load their options')]);
    expect(validateView(modalWith({ ...picker, min_query_length: -1 }))).toEqual([expect.stringContaining('min_query_length')]);
    expect(validateView(modalWith({ ...picker, max_selected_items: 0 }))).toEqual([expect.stringContaining('max_selected_items')]);
    expect(validateView(modalWith({ ...picker, initial_options: [option('x'.repeat(76))] }))).toEqual([
      expect.stringContaining('initial_options/0/text/text'),
    ]);
    expect(validateView(modalWith({ ...picker, initial_options: [option('a', 'v'.repeat(151))] }))).toEqual([
      expect.stringContaining('initial_options/0/value'),
    ]);
    expect(validateView(modalWith({ ...picker, placeholder: { type: 'plain_text', text: 'p'.repeat(151) } }))).toHaveLength(1);
    expect(validateView(modalWith({ ...file, max_files: 11 }))).toEqual([expect.stringContaining('max_files')]);
    expect(validateView(modalWith({ ...file, max_files: 0 }))).toEqual([expect.stringContaining('max_files')]);
    expect(validateView(modalWith({ ...file, filetypes: 'csv' }))).toEqual([expect.stringContaining('filetypes')]);
    expect(validateView(modalWith(file, 'actions'))).toEqual([expect.stringContaining('only supported in input blocks')]);
    expect(
      await slackError(client.views.open({ trigger_id: fake.issueTriggerId(), view: modalWith({ ...file, max_files: 11 }) as never })),
    ).toBe('invalid_arguments');
  });

  it('checks an options response: at most 100 plain_text options, text ≤ 75, value ≤ 150', () => {
    const option = (text: string, value = 'v') => ({ text: { type: 'plain_text', text }, value });
    expect(validateOptionsResponse({ options: [] })).toEqual([]);
    expect(validateOptionsResponse({ options: Array.from({ length: 101 }, (_, i) => option(`o${i}`)) })).toHaveLength(1);
    expect(validateOptionsResponse({ options: [option('t'.repeat(76))] })).toHaveLength(1);
    expect(validateOptionsResponse({ options: [option('t', 'v'.repeat(151))] })).toHaveLength(1);
    expect(validateOptionsResponse({ options: [{ text: { type: 'mrkdwn', text: '*x*' }, value: 'v' }] })).toHaveLength(1);
  });
});

describe('uploaded files in the fake Slack', () => {
  it('files.info needs files:read and a known file', async () => {
    const id = fake.files.upload({ name: 'ids.csv', content: 'id\ni-0123456789abcdef0\n' });
    const info = await client.files.info({ file: id });
    expect(info.file).toMatchObject({ id, name: 'ids.csv', filetype: 'csv', size: 23 });
    expect(info.file?.url_private_download).toMatch(new RegExp(`^${fake.baseUrl}/files-pri/T\\w+-${id}/download/ids.csv$`, 'u'));
    expect(await slackError(client.files.info({ file: 'F0NOSUCH01' }))).toBe('file_not_found');
    fake.files.revokeScope('files:read');
    try {
      expect(await slackError(client.files.info({ file: id }))).toBe('missing_scope');
    } finally {
      fake.files.grantScope('files:read');
    }
  });

  it('the private download wants the bearer token; without it Slack redirects to its sign-in page', async () => {
    const id = fake.files.upload({ name: 'ids.txt', content: 'i-0123456789abcdef0\n' });
    const url = String((await client.files.info({ file: id })).file?.url_private_download);
    const withToken = await fetch(url, { headers: { authorization: `Bearer ${fake.botToken}` } });
    expect(withToken.status).toBe(200);
    expect(await withToken.text()).toBe('i-0123456789abcdef0\n');
    const bare = await fetch(url, { redirect: 'manual' });
    expect(bare.status).toBe(302);
    await bare.body?.cancel();
    // A client that follows the redirect reads a web page with status 200: the classic trap.
    const followed = await fetch(url, { headers: { authorization: 'Bearer xoxb-wrong' } });
    expect(followed.status).toBe(200);
    expect(followed.headers.get('content-type')).toMatch(/^text\/html/u);
    await followed.body?.cancel();
  });
});

describe('the bot reads an uploaded target list', () => {
  const reader = (o: { timeoutMs?: number; fetch?: typeof fetch; apiUrl?: string } = {}) =>
    createTargetFileReader({ token: fake.botToken, apiUrl: o.apiUrl ?? fake.url, ...o });

  it('reads the text with the bot token', async () => {
    const id = fake.files.upload({ name: 'ids.txt', content: 'i-0123456789abcdef0\n' });
    expect(await reader()(client, id, 'U0REQUESTER')).toEqual({ ok: true, name: 'ids.txt', text: 'i-0123456789abcdef0\n' });
  });

  it('never follows the sign-in redirect, so a wrong token is a field error, not a login page read as data', async () => {
    const id = fake.files.upload({ name: 'ids.txt', content: 'i-0123456789abcdef0\n' });
    const wrong = createTargetFileReader({ token: 'xoxb-wrong', apiUrl: fake.url });
    expect(await wrong(client, id, 'U0REQUESTER')).toEqual({ ok: false, message: expect.stringContaining('HTTP 302') });
  });

  it('reads only a file the submitting person uploaded', async () => {
    const id = fake.files.upload({ name: 'ids.txt', content: 'i-0123456789abcdef0\n', user: 'U0SOMEONE1' });
    const before = fake.files.downloads.length;
    expect(await reader()(client, id, 'U0REQUESTER')).toEqual({ ok: false, message: expect.stringContaining('yourself') });
    expect(fake.files.downloads.length).toBe(before);
  });

  it('sends its token only to Slack’s file host', async () => {
    const id = fake.files.upload({ name: 'ids.txt', content: 'i-0123456789abcdef0\n' });
    const before = fake.files.downloads.length;
    const elsewhere = createTargetFileReader({ token: fake.botToken, apiUrl: 'https://slack.com/api/' });
    expect(await elsewhere(client, id, 'U0REQUESTER')).toEqual({
      ok: false,
      message: expect.stringContaining('does not send its token elsewhere'),
    });
    expect(fake.files.downloads.length).toBe(before);
  });

  it('gives up on a download that does not finish, and on a file that is not UTF-8', async () => {
    const id = fake.files.upload({ name: 'ids.txt', content: 'i-0123456789abcdef0\n' });
    const port = (hanging.address() as AddressInfo).port;
    const toHanging: typeof fetch = async (_url, init) => fetch(`http://127.0.0.1:${port}/`, init);
    expect(await reader({ timeoutMs: 300, fetch: toHanging })(client, id, 'U0REQUESTER')).toEqual({
      ok: false,
      message: expect.stringContaining('did not finish'),
    });
    const binary = fake.files.upload({ name: 'ids.txt', content: Buffer.from([0xff, 0xfe, 0x00, 0x69]) });
    expect(await reader()(client, binary, 'U0REQUESTER')).toEqual({ ok: false, message: expect.stringContaining('not UTF-8') });
  });
});

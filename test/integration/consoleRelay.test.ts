// The console's relay against a stand-in bot that checks every signature: what a person does becomes the request
// Slack would send, and the bot's answer is applied as Slack applies it (errors, update, push, clear, close).
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createRelay, RelayError, type Relay } from '../../src/sandbox/console/consoleRelay.ts';
import { CONSOLE_USERS, OPS_CHANNEL } from '../../src/sandbox/console/consoleWorld.ts';
import { signSlackRequest } from '../../src/sandbox/slack/slackRequest.ts';
import { startFakeSlack, type FakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';

const SECRET = 'relay-test-signing-secret';
const OPERATOR = 'U0OPERATOR';

type Received = { contentType: string; body: string; payload: Record<string, unknown> | undefined; form: URLSearchParams };

let slack: FakeSlack;
let bot: Server;
let relay: Relay;
const received: Received[] = [];
const answers: unknown[] = [];
let unsigned = 0;

beforeEach(async () => {
  received.length = 0;
  answers.length = 0;
  unsigned = 0;
  slack = await startFakeSlack({ users: Object.fromEntries(CONSOLE_USERS.map((u) => [u.id, { name: u.name }])) });
  bot = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const ts = Number(req.headers['x-slack-request-timestamp']);
      if (signSlackRequest(SECRET, body, ts)['X-Slack-Signature'] !== req.headers['x-slack-signature']) unsigned += 1;
      const contentType = String(req.headers['content-type']);
      const form = new URLSearchParams(contentType.startsWith('application/x-www-form-urlencoded') ? body : '');
      const payload = form.get('payload');
      received.push({ contentType, body, form, payload: payload ? (JSON.parse(payload) as Record<string, unknown>) : undefined });
      const answer = answers.shift();
      res.writeHead(200, answer === undefined ? {} : { 'content-type': 'application/json' });
      res.end(answer === undefined ? '' : JSON.stringify(answer));
    });
  });
  await new Promise<void>((resolve) => bot.listen(0, '127.0.0.1', resolve));
  relay = createRelay({
    botUrl: `http://127.0.0.1:${(bot.address() as AddressInfo).port}`,
    slack,
    signingSecret: SECRET,
    commands: ['/qc-prep', '/ops'],
  });
});

afterEach(async () => {
  expect(unsigned).toBe(0);
  await new Promise<void>((resolve) => bot.close(() => resolve()));
  await slack.close();
});

const modalView = (title: string, blocks: unknown[] = []) => ({
  type: 'modal',
  callback_id: 'request',
  title: { type: 'plain_text', text: title },
  submit: { type: 'plain_text', text: 'Submit' },
  blocks,
});
const INPUT = {
  type: 'input',
  block_id: 'change',
  label: { type: 'plain_text', text: 'Change' },
  element: { type: 'plain_text_input', action_id: 'change' },
};

/** The bot opening a modal with the trigger of a person's click, through the Web API. */
const openModal = async (title: string): Promise<string> => {
  const response = await fetch(`${slack.url}views.open`, {
    method: 'POST',
    headers: { authorization: `Bearer ${slack.botToken}`, 'content-type': 'application/json' },
    body: JSON.stringify({ trigger_id: slack.issueTriggerId({ userId: OPERATOR }), view: modalView(title, [INPUT]) }),
  });
  const body = (await response.json()) as { ok: boolean; view: { id: string } };
  expect(body.ok).toBe(true);
  return body.view.id;
};

describe('console relay', () => {
  it('sends a slash command as Slack does, shows its immediate answer to the person, and refuses commands the app has not', async () => {
    answers.push({ text: 'Only you can see this' });
    expect(await relay.command(OPERATOR, OPS_CHANNEL, '/ops history 3')).toEqual({ ok: true });
    const form = received[0]?.form;
    expect(received[0]?.contentType).toBe('application/x-www-form-urlencoded');
    expect(form?.get('command')).toBe('/ops');
    expect(form?.get('text')).toBe('history 3');
    expect(form?.get('user_id')).toBe(OPERATOR);
    expect(form?.get('channel_id')).toBe(OPS_CHANNEL);
    expect(form?.get('trigger_id')).toMatch(/^\d+\./u);
    expect(slack.ephemerals(OPERATOR).map((e) => e.text)).toEqual(['Only you can see this']);

    await expect(relay.command(OPERATOR, OPS_CHANNEL, '/rm -rf')).rejects.toThrow(RelayError);
    await expect(relay.command('U0NOBODY00', OPS_CHANNEL, '/ops')).rejects.toThrow(RelayError);
    expect(received).toHaveLength(1);
  });

  it('applies the answers to a view submission: errors, update, push, close, clear', async () => {
    const viewId = await openModal('First');
    expect(relay.topModal(OPERATOR)?.id).toBe(viewId);

    answers.push({ response_action: 'errors', errors: { change: 'A ServiceNow change number looks like CHG0012345.' } });
    expect(await relay.submit(OPERATOR, viewId, { change: 'CHG12' })).toEqual({
      ok: true,
      errors: { change: 'A ServiceNow change number looks like CHG0012345.' },
    });
    const submission = received[0]?.payload as { type: string; view: { id: string; state: { values: unknown } } };
    expect(submission.type).toBe('view_submission');
    expect(submission.view.id).toBe(viewId);
    expect(submission.view.state.values).toEqual({ change: { change: { type: 'plain_text_input', value: 'CHG12' } } });

    answers.push({ response_action: 'update', view: modalView('Updated', [INPUT]) });
    expect(await relay.submit(OPERATOR, viewId, { change: 'CHG0012345' })).toEqual({ ok: true });
    expect(relay.topModal(OPERATOR)).toMatchObject({ id: viewId, title: { text: 'Updated' } });

    answers.push({ response_action: 'push', view: modalView('Pushed') });
    expect(await relay.submit(OPERATOR, viewId, { change: 'CHG0012345' })).toEqual({ ok: true });
    const pushed = relay.topModal(OPERATOR);
    expect(pushed).toMatchObject({ title: { text: 'Pushed' }, previous_view_id: viewId });

    // No response_action closes the submitted view: the one below shows again.
    expect(await relay.submit(OPERATOR, pushed?.id ?? '', {})).toEqual({ ok: true });
    expect(relay.topModal(OPERATOR)?.id).toBe(viewId);

    answers.push({ response_action: 'push', view: modalView('Pushed again') });
    await relay.submit(OPERATOR, viewId, { change: 'CHG0012345' });
    answers.push({ response_action: 'clear' });
    await relay.submit(OPERATOR, relay.topModal(OPERATOR)?.id ?? '', {});
    expect(relay.topModal(OPERATOR)).toBeUndefined();
    await expect(relay.submit(OPERATOR, viewId, {})).rejects.toThrow('no longer open');
  });

  it('asks the options handler for external select options, and a person cannot act in another person’s modal', async () => {
    const viewId = await openModal('Pick');
    answers.push({ options: [{ text: { type: 'plain_text', text: 'i-0123 (web-1)' }, value: 'i-0123' }] });
    const answer = await relay.suggest(OPERATOR, viewId, 'instances', 'targets', 'web');
    expect(answer).toEqual({ ok: true, options: { options: [{ text: { type: 'plain_text', text: 'i-0123 (web-1)' }, value: 'i-0123' }] } });
    expect(received[0]?.payload).toMatchObject({ type: 'block_suggestion', action_id: 'instances', block_id: 'targets', value: 'web' });

    await expect(relay.submit('U0APPROVER', viewId, {})).rejects.toThrow('no longer open');
    expect(received).toHaveLength(1);
  });
  it('asks for the options of an external select in a message and in an ephemeral message, as Slack does', async () => {
    const select = {
      type: 'actions',
      block_id: 'results:run-1',
      elements: [{ type: 'external_select', action_id: 'view_output', min_query_length: 0 }],
    };
    const posted = await fetch(`${slack.url}chat.postMessage`, {
      method: 'POST',
      headers: { authorization: `Bearer ${slack.botToken}`, 'content-type': 'application/json' },
      body: JSON.stringify({ channel: OPS_CHANNEL, text: 'Run succeeded', blocks: [select] }),
    });
    const { ts } = (await posted.json()) as { ts: string };
    const option = { text: { type: 'plain_text', text: 'i-0123 success' }, value: 'i-0123' };
    answers.push({ options: [option] });
    expect(await relay.suggestInMessage(OPERATOR, OPS_CHANNEL, ts, false, 'view_output', 'results:run-1', 'i-01')).toEqual({
      ok: true,
      options: { options: [option] },
    });
    expect(received[0]?.payload).toMatchObject({
      type: 'block_suggestion',
      action_id: 'view_output',
      block_id: 'results:run-1',
      value: 'i-01',
      container: { type: 'message', message_ts: ts, channel_id: OPS_CHANNEL, is_ephemeral: false },
      channel: { id: OPS_CHANNEL },
    });
    expect(received[0]?.payload).not.toHaveProperty('view');

    // `/ops show` answers with an ephemeral message: the container says so, and only its reader can ask.
    answers.push({ text: 'Run 1', blocks: [select] });
    await relay.command(OPERATOR, OPS_CHANNEL, '/ops show run-1');
    const ephemeral = slack.ephemerals(OPERATOR).at(-1);
    answers.push({ options: [] });
    expect(
      await relay.suggestInMessage(OPERATOR, OPS_CHANNEL, ephemeral?.message_ts ?? '', true, 'view_output', 'results:run-1', ''),
    ).toEqual({ ok: true, options: { options: [] } });
    expect(received[2]?.payload).toMatchObject({
      type: 'block_suggestion',
      container: { type: 'message', message_ts: ephemeral?.message_ts, channel_id: OPS_CHANNEL, is_ephemeral: true },
    });
    await expect(
      relay.suggestInMessage('U0APPROVER', OPS_CHANNEL, ephemeral?.message_ts ?? '', true, 'view_output', 'results:run-1', ''),
    ).rejects.toThrow('gone');
    expect(received).toHaveLength(3);
  });
});

// Signed requests to the bot's /slack/events endpoint, exactly as Slack sends them.
import { createHmac } from 'node:crypto';
import { SLACK_TEST_WORKSPACE, UNROUTABLE_RESPONSE_URL, placeholderTriggerId } from './slackPayloads.ts';

export interface SlackSignatureHeaders {
  'X-Slack-Signature': string;
  'X-Slack-Request-Timestamp': string;
}

/** Slack's v0 signature: hex HMAC-SHA256(secret, "v0:<ts>:<raw body>"). */
export function signSlackRequest(
  signingSecret: string,
  rawBody: string,
  timestampSeconds: number = Math.floor(Date.now() / 1000),
): SlackSignatureHeaders {
  const digest = createHmac('sha256', signingSecret).update(`v0:${timestampSeconds}:${rawBody}`).digest('hex');
  return { 'X-Slack-Signature': `v0=${digest}`, 'X-Slack-Request-Timestamp': String(timestampSeconds) };
}

export interface SlackRequestOptions {
  /** Request timestamp in seconds (signed with it): e.g. 10 minutes ago to test replay refusal. */
  timestamp?: number;
  /** Sign with a different secret, so the signature does not verify. */
  badSignature?: boolean;
  /** Path appended when `url` has none. Default '/slack/events'. */
  path?: string;
  /** Extra headers, e.g. { 'X-Slack-Retry-Num': '1', 'X-Slack-Retry-Reason': 'http_timeout' }. */
  headers?: Record<string, string>;
}

function endpoint(url: string, path: string | undefined): string {
  const parsed = new URL(url);
  if (path !== undefined || parsed.pathname === '/' || parsed.pathname === '') parsed.pathname = path ?? '/slack/events';
  return parsed.toString();
}

/** POSTs a raw body signed like Slack. Slack's form requests carry exactly this content type (Bolt compares it verbatim). */
export async function postSigned(
  url: string,
  signingSecret: string,
  rawBody: string,
  contentType: 'application/x-www-form-urlencoded' | 'application/json',
  opts: SlackRequestOptions = {},
): Promise<Response> {
  const secret = opts.badSignature ? `${signingSecret}-not-the-secret` : signingSecret;
  return fetch(endpoint(url, opts.path), {
    method: 'POST',
    headers: {
      'Content-Type': contentType,
      'User-Agent': 'Slackbot 1.0 (+https://api.slack.com/robots)',
      ...signSlackRequest(secret, rawBody, opts.timestamp),
      ...opts.headers,
    },
    body: rawBody,
  });
}

export interface SlashCommandFields {
  token: string;
  team_id: string;
  team_domain: string;
  channel_id: string;
  channel_name: string;
  user_id: string;
  user_name: string;
  command: string;
  text: string;
  api_app_id: string;
  is_enterprise_install: string;
  response_url: string;
  trigger_id: string;
}

export function slashCommandFields(fields: Partial<SlashCommandFields>): SlashCommandFields {
  return {
    token: SLACK_TEST_WORKSPACE.verificationToken,
    team_id: SLACK_TEST_WORKSPACE.teamId,
    team_domain: SLACK_TEST_WORKSPACE.teamDomain,
    channel_id: 'C0OPS00001',
    channel_name: 'ops',
    user_id: 'U0ALICE001',
    user_name: 'alice',
    command: '/pcm',
    text: '',
    api_app_id: SLACK_TEST_WORKSPACE.appId,
    is_enterprise_install: 'false',
    response_url: UNROUTABLE_RESPONSE_URL,
    trigger_id: placeholderTriggerId(),
    ...fields,
  };
}

/** A slash command: form-encoded fields (defaults for what is not given; pass fake.responseUrl()/issueTriggerId()). */
export function postSlashCommand(
  url: string,
  signingSecret: string,
  fields: Partial<SlashCommandFields>,
  opts?: SlackRequestOptions,
): Promise<Response> {
  const body = new URLSearchParams({ ...slashCommandFields(fields) }).toString();
  return postSigned(url, signingSecret, body, 'application/x-www-form-urlencoded', opts);
}

/** An interaction (block_actions, view_submission, view_closed, block_suggestion): form field `payload` = JSON. */
export function postInteraction(url: string, signingSecret: string, payload: object, opts?: SlackRequestOptions): Promise<Response> {
  const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
  return postSigned(url, signingSecret, body, 'application/x-www-form-urlencoded', opts);
}

/** An Events API callback (JSON body), e.g. appHomeOpenedEvent(). */
export function postEvent(url: string, signingSecret: string, envelope: object, opts?: SlackRequestOptions): Promise<Response> {
  return postSigned(url, signingSecret, JSON.stringify(envelope), 'application/json', opts);
}

// The bot's own logs never carry a secret: a full run (submit → approve → run → finish) at LOG_LEVEL=trace
// with ServiceNow OAuth, every line captured from the real process.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BASE_CREDENTIALS, CHANGE, defaultInstances, SIGNING_SECRET, startSandbox, type Sandbox } from '../helpers/sandbox.ts';
import { requestAndApprove } from '../helpers/slackFlows.ts';

const CLIENT_SECRET = 'sn-client-secret-5f1d2c9e';
const SN_PASSWORD = 'sn-password';
// Not used by the targets (they name profiles), but present in the environment as on a real host.
const ENV_AWS = { AWS_SECRET_ACCESS_KEY: 'env-aws-secret-key-7c1e0b', AWS_SESSION_TOKEN: 'env-aws-session-token-93ad' };

describe('log redaction', () => {
  const instances = defaultInstances();
  let s: Sandbox;

  beforeAll(async () => {
    s = await startSandbox({
      instances,
      serviceNow: { oauth: { clientId: 'pcm-client', clientSecret: CLIENT_SECRET } },
      env: { LOG_LEVEL: 'trace', SERVICENOW_CLIENT_ID: 'pcm-client', SERVICENOW_CLIENT_SECRET: CLIENT_SECRET, ...ENV_AWS },
    });
  });
  afterAll(async () => {
    await s?.close();
  });

  it('a whole run at trace level logs no token, password, secret or OAuth access token', async () => {
    // One 429 on the thread posts: the outbox waits it out and says so (through pino, like the Web API client).
    s.slack.rateLimit('chat.postMessage', { times: 1, retryAfterSeconds: 1 });
    const { runId, status } = await requestAndApprove(s, {
      command: '/qc-prep',
      values: { instances: instances.map((i) => i.instanceId).join('\n'), change: CHANGE },
    });
    expect(status).toBe('succeeded');
    // The run's work notes went through OAuth (so a token was issued and used).
    await s.slack.waitFor(() => (s.serviceNow.workNotes(CHANGE).filter((n) => n.includes(runId)).length === 2 ? true : undefined), {
      timeoutMs: 15_000,
    });
    expect(s.serviceNow.issuedTokens.length).toBeGreaterThan(0);
    expect(s.serviceNow.calls.some((c) => c.auth === 'bearer')).toBe(true);
    await s.bot.stop();

    const logs = s.bot.output.join('\n');
    // The bot's own Web API client logs through pino at trace: its debug lines and the rate-limit notice.
    const webApi = s.bot.output.filter((line) => line.includes('"component":"slack-web-api"'));
    expect(webApi.some((line) => line.includes("apiCall('chat.postMessage') start"))).toBe(true);
    expect(s.bot.output.some((line) => line.includes('"component":"slack-outbox"') && /rate limit/iu.test(line))).toBe(true);
    // Bolt shares its logger with its own Web API client (views.open from the listeners).
    expect(s.bot.output.some((line) => line.includes('"component":"bolt"') && line.includes("apiCall('views.open') start"))).toBe(true);
    const secrets = {
      SLACK_BOT_TOKEN: s.env.SLACK_BOT_TOKEN ?? '',
      SLACK_SIGNING_SECRET: SIGNING_SECRET,
      SERVICENOW_PASSWORD: SN_PASSWORD,
      SERVICENOW_CLIENT_SECRET: CLIENT_SECRET,
      ...ENV_AWS,
      commercialBase: BASE_CREDENTIALS.aws.secretAccessKey,
      govBase: BASE_CREDENTIALS['aws-us-gov'].secretAccessKey,
      ...Object.fromEntries(s.serviceNow.issuedTokens.map((t, i) => [`oauthToken${i}`, t])),
    };
    const leaked = Object.entries(secrets)
      .filter(([, value]) => value !== '' && logs.includes(value))
      .map(([name]) => name);
    expect(leaked).toEqual([]);
    expect(logs).not.toMatch(/xox[a-z]-[0-9A-Za-z]/u);
    // Every line is pino JSON: nothing printed around the logger (e.g. @slack/web-api's own console logger).
    const notJson = s.bot.output.filter((line) => {
      try {
        return typeof JSON.parse(line) !== 'object';
      } catch {
        return true;
      }
    });
    expect(notJson).toEqual([]);
  });
});

// The logger: nested secret-named keys redacted, configured secret values and token shapes scrubbed from any string.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logger.ts';
import { configuredSecrets } from '../../src/logging/configuredSecrets.ts';
import { redactNested } from '../../src/logging/redactNested.ts';
import { createSecretScrubber } from '../../src/logging/secretScrubber.ts';
import { boltLogger } from '../../src/slack/boltLogger.ts';

const SECRETS = {
  SLACK_BOT_TOKEN: 'xoxb-1111-2222-botbotbotbot',
  SLACK_SIGNING_SECRET: 'signing-secret-0123456789',
  SLACK_APP_TOKEN: 'xapp-1-A0APP-3333-appappappapp',
  SERVICENOW_USER: 'pcm.bot',
  SERVICENOW_PASSWORD: 'sn-pass"word\\with-quotes',
  SERVICENOW_CLIENT_SECRET: 'client-secret-abcdef',
  DATABASE_URL: 'postgres://pcm:db%40pass-word@db.example.com:5432/pcm',
};
const ENV = { AWS_SECRET_ACCESS_KEY: 'aws-secret-access-key-xyz', AWS_SESSION_TOKEN: 'aws-session-token-xyz' };
const ALL_VALUES = [
  'xoxb-1111-2222-botbotbotbot',
  'signing-secret-0123456789',
  'xapp-1-A0APP-3333-appappappapp',
  'sn-pass"word\\with-quotes',
  'client-secret-abcdef',
  'db%40pass-word',
  'db@pass-word',
  'aws-secret-access-key-xyz',
  'aws-session-token-xyz',
];

/** A logger writing its lines into an array, built as main.ts builds it. */
const capture = () => {
  const lines: string[] = [];
  const scrubber = createSecretScrubber(configuredSecrets(SECRETS, ENV));
  const logger = createLogger('trace', scrubber, {
    write: (line: string) => {
      lines.push(line);
    },
  });
  const text = () => lines.join('');
  return { lines, scrubber, logger, text };
};

const leaks = (text: string, values: readonly string[]): string[] =>
  values.filter((v) => text.includes(v) || text.includes(JSON.stringify(v).slice(1, -1)));

describe('log redaction: nested keys', () => {
  it('redacts secret-named keys at any depth, in arrays and in error fields; keeps the rest', () => {
    const out = redactNested({
      config: { servicenow: { auth: { clientSecret: 'x1', clientId: 'visible-id' } } },
      SERVICENOW_CLIENT_SECRET: 'x2',
      answer: [{ access_token: 'x3', expires_in: 1799 }],
      request: { headers: { Authorization: 'Basic eDp5', accept: 'application/json' } },
      deep: { a: { b: { c: { d: { e: { password: 'x4', sessionToken: 'x5', SecretAccessKey: 'x6' } } } } } },
      DATABASE_URL: 'postgres://u:p@h/db',
      runId: 'r-1',
    });
    expect(out).toEqual({
      config: { servicenow: { auth: { clientSecret: '[redacted]', clientId: 'visible-id' } } },
      SERVICENOW_CLIENT_SECRET: '[redacted]',
      answer: [{ access_token: '[redacted]', expires_in: 1799 }],
      request: { headers: { Authorization: '[redacted]', accept: 'application/json' } },
      deep: { a: { b: { c: { d: { e: { password: '[redacted]', sessionToken: '[redacted]', SecretAccessKey: '[redacted]' } } } } } },
      DATABASE_URL: '[redacted]',
      runId: 'r-1',
    });
  });

  it('survives cycles and keeps errors readable', () => {
    const loop: Record<string, unknown> = { name: 'loop' };
    loop.self = loop;
    const error = Object.assign(new Error('boom'), { config: { headers: { authorization: 'Bearer zzz' } } });
    const out = redactNested({ loop, err: error }) as { loop: { self: unknown }; err: { message: string; stack: string; config: unknown } };
    expect(out.loop.self).toBe('[Circular]');
    expect(out.err.message).toBe('boom');
    expect(out.err.stack).toMatch(/Error: boom/u);
    expect(out.err.config).toEqual({ headers: { authorization: '[redacted]' } });
  });

  it("redacts secret-named keys in child bindings and keeps an error's type", () => {
    const { logger, text } = capture();
    logger
      .child({ component: 'c', auth: { clientSecret: 'child-secret-value' } })
      .child({ token: 'grandchild-token' })
      .error(new TypeError('bad'));
    const line = JSON.parse(text()) as { component: string; auth: unknown; token: string; err: { type: string; message: string } };
    expect(line).toMatchObject({
      component: 'c',
      auth: { clientSecret: '[redacted]' },
      token: '[redacted]',
      err: { type: 'TypeError', message: 'bad' },
    });
  });
});

describe('log redaction: secret values in any string', () => {
  it('scrubs every configured secret from messages, nested strings, error messages and stacks, and child bindings', () => {
    const { logger, text } = capture();
    for (const value of ALL_VALUES) {
      logger.info(`message with ${value} inside`);
      logger.warn({ nested: { deeper: [`text ${value} text`], note: value } }, 'nested');
      logger.error({ err: new Error(`failed with ${value}`, { cause: new Error(`cause ${value}`) }) }, 'error');
      logger.child({ context: `child ${value}` }).debug('child');
    }
    expect(leaks(text(), ALL_VALUES)).toEqual([]);
    expect(text()).toContain('message with [redacted] inside');
    // The ServiceNow Basic header and a postgres URL password are scrubbed too.
    logger.info(`Authorization: Basic ${Buffer.from('pcm.bot:sn-pass"word\\with-quotes').toString('base64')}`);
    logger.info('connecting to postgres://someone:other-password@db/x');
    expect(text()).not.toContain(Buffer.from('pcm.bot:sn-pass"word\\with-quotes').toString('base64'));
    expect(text()).toContain('postgres://someone:[redacted]@db/x');
    // Every line is still valid JSON.
    for (const line of text().trim().split('\n')) expect(() => JSON.parse(line) as unknown).not.toThrow();
  });

  it('scrubs a secret registered at runtime (the OAuth access token) from then on', () => {
    const { logger, scrubber, text } = capture();
    scrubber.add('oauth-access-token-Zq81');
    logger.info({ answer: 'got oauth-access-token-Zq81' }, 'token oauth-access-token-Zq81');
    expect(text()).not.toContain('oauth-access-token-Zq81');
  });

  it('scrubs Slack token shapes it was never told about, and Bearer credentials', () => {
    const { logger, text } = capture();
    logger.info('tokens xoxb-9-9-other xoxp-1-2-user xapp-1-B-2-app and Bearer abcdefgh12345678');
    expect(text()).not.toMatch(/xoxb-9|xoxp-1|xapp-1-B|abcdefgh12345678/u);
  });

  it('ignores empty and very short values instead of mangling every line', () => {
    const scrubber = createSecretScrubber(['', 'a', '1']);
    expect(scrubber.scrub('{"level":30,"a":1}')).toBe('{"level":30,"a":1}');
  });
});

describe('log redaction: Slack libraries log through pino', () => {
  it('Bolt / Web API log lines (strings, errors, objects) are scrubbed, including the app token', () => {
    const { logger, text } = capture();
    const slack = boltLogger(logger, 'slack-web-api');
    slack.debug(`http request body: {"token":"${SECRETS.SLACK_BOT_TOKEN}"}`);
    slack.info('socket mode', { appToken: SECRETS.SLACK_APP_TOKEN });
    slack.warn('http request failed', new Error(`bad ${SECRETS.SLACK_SIGNING_SECRET}`));
    slack.error(`app token ${SECRETS.SLACK_APP_TOKEN}`);
    expect(leaks(text(), ALL_VALUES)).toEqual([]);
    expect(text()).toContain('"component":"slack-web-api"');
    expect(text()).toContain('http request failed');
  });
});

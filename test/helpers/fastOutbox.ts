import { WebClient } from '@slack/web-api';
import pino from 'pino';
import type { DatabasePool } from 'slonik';
import { createOutbox, type Outbox } from '../../src/outbox/createOutbox.ts';
import type { FakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';
import type { ToolRegistry } from '../../src/tools/registry.ts';

/** The real outbox against the fake Slack, with retries and pacing short enough for a test (no client retries). */
export const fastOutbox = (o: { readonly pool: DatabasePool; readonly registry: ToolRegistry; readonly slack: FakeSlack }): Outbox =>
  createOutbox({
    pool: o.pool,
    registry: o.registry,
    logger: pino({ level: 'silent' }),
    retryBaseMs: 20,
    retryMaxMs: 50,
    updateIntervalMs: 0,
    postBurst: 100,
    client: new WebClient(o.slack.botToken, { slackApiUrl: o.slack.url, retryConfig: { retries: 0 }, rejectRateLimitedCalls: true }),
  });

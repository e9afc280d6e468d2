// The sender's chat.update coalescing, through the real WebClient against the fake Slack, on a fake clock:
// sends of one message stay at least minIntervalMs apart, also after a send, and the last content wins.
import { WebClient } from '@slack/web-api';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createSender, type Sender } from '../../src/slack/sender.ts';
import { startFakeSlack, type FakeSlack } from '../../src/sandbox/slack/startFakeSlack.ts';

const CHANNEL = 'C0SENDER01';
const INTERVAL = 1_000;

let fake: FakeSlack;
let client: WebClient;
let sender: Sender;
let ts: string;

beforeAll(async () => {
  fake = await startFakeSlack();
  client = new WebClient(fake.botToken, { slackApiUrl: fake.url, retryConfig: { retries: 0 } });
});
afterAll(async () => {
  await fake?.close();
});

beforeEach(async () => {
  ts = (await client.chat.postMessage({ channel: CHANNEL, text: 'v0' })).ts ?? '';
  // Only timers and Date are faked: sockets and the HTTP round trips to the fake Slack stay real.
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  sender = createSender(client, pino({ level: 'silent' }), { minIntervalMs: INTERVAL });
});
afterEach(() => {
  vi.useRealTimers();
});

const updates = () => fake.callsOf('chat.update').filter((c) => c.args.ts === ts);
const content = (text: string) => ({ text, blocks: [{ type: 'section' as const, text: { type: 'mrkdwn' as const, text } }] });

/** Moves the fake clock on and waits (real time) until the fake Slack has recorded `count` updates of the message. */
const advanceUntil = async (ms: number, count: number): Promise<void> => {
  await vi.advanceTimersByTimeAsync(ms);
  await vi.waitFor(() => expect(updates()).toHaveLength(count), { timeout: 5_000 });
  // Let the finished call settle inside the sender before the next step.
  await vi.advanceTimersByTimeAsync(0);
};

describe('sender.update', () => {
  it('keeps sends of one message minIntervalMs apart across sends, and always sends the last content', async () => {
    sender.update(CHANNEL, ts, content('v1'));
    await advanceUntil(0, 1); // the first update of a message goes out at once
    sender.update(CHANNEL, ts, content('v2')); // 10 ms after a send: must wait for the interval
    await vi.advanceTimersByTimeAsync(10);
    sender.update(CHANNEL, ts, content('v3'));
    await vi.advanceTimersByTimeAsync(400);
    expect(updates()).toHaveLength(1);
    sender.update(CHANNEL, ts, content('v4'));
    await advanceUntil(INTERVAL, 2);
    sender.update(CHANNEL, ts, content('v5'));
    await vi.advanceTimersByTimeAsync(INTERVAL - 1);
    expect(updates()).toHaveLength(2);
    await advanceUntil(1, 3);

    const sent = updates();
    expect(sent.map((c) => c.args.text)).toEqual(['v1', 'v4', 'v5']);
    for (let i = 1; i < sent.length; i += 1) {
      expect(sent[i]!.at.getTime() - sent[i - 1]!.at.getTime()).toBeGreaterThanOrEqual(INTERVAL);
    }
    expect(fake.message(CHANNEL, ts)?.text).toBe('v5');
    expect(JSON.stringify(fake.message(CHANNEL, ts)?.blocks)).toContain('v5');
  });

  it('a burst of updates costs one send per interval; an update after a quiet interval goes out at once', async () => {
    for (let i = 1; i <= 50; i += 1) {
      sender.update(CHANNEL, ts, content(`burst ${i}`));
      await vi.advanceTimersByTimeAsync(37);
    }
    // 50 × 37 ms = 1.85 s: the first update, then one send per full interval at most.
    await advanceUntil(INTERVAL, 3);
    await vi.advanceTimersByTimeAsync(5 * INTERVAL);
    expect(updates()).toHaveLength(3);
    expect(updates().at(-1)?.args.text).toBe('burst 50');
    // Idle for longer than the interval: the message's entry is forgotten and the next update is not delayed.
    sender.update(CHANNEL, ts, content('later'));
    await advanceUntil(0, 4);
    expect(fake.message(CHANNEL, ts)?.text).toBe('later');
  });

  it('flush sends what is pending at once', async () => {
    sender.update(CHANNEL, ts, content('a'));
    await advanceUntil(0, 1);
    sender.update(CHANNEL, ts, content('b'));
    const flushed = sender.flush();
    await vi.waitFor(() => expect(updates()).toHaveLength(2), { timeout: 5_000 });
    await flushed;
    expect(fake.message(CHANNEL, ts)?.text).toBe('b');
  });
});

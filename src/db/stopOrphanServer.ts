import { setTimeout as sleep } from 'node:timers/promises';
import { inspectServerProcess } from './inspectServerProcess.ts';

export type StopTimeouts = { readonly fastMs: number; readonly immediateMs: number };

const defaultTimeouts: StopTimeouts = { fastMs: 15_000, immediateMs: 10_000 };

const exitedWithin = async (pid: number, databaseDir: string, ms: number): Promise<boolean> => {
  const deadline = Date.now() + ms;
  for (;;) {
    // Exited once it is no longer that server: gone, a zombie waiting to be reaped, or (later) a reused PID.
    if ((await inspectServerProcess(pid, databaseDir)).kind !== 'server') return true;
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
};

/**
 * Stops the PostgreSQL server `pid` serving `databaseDir` the way its documentation asks: SIGINT (fast
 * shutdown: roll back, checkpoint, exit), then SIGQUIT (immediate shutdown: crash recovery at the next
 * start), waiting for it to exit after each. Never SIGKILL: that would leave its children and shared
 * memory behind. Callers must have checked that `pid` is that server (inspectServerProcess).
 */
export const stopOrphanServer = async (pid: number, databaseDir: string, timeouts: StopTimeouts = defaultTimeouts): Promise<void> => {
  for (const [signal, ms] of [
    ['SIGINT', timeouts.fastMs],
    ['SIGQUIT', timeouts.immediateMs],
  ] as const) {
    // Check again right before signalling: the PID must still be that very server.
    if ((await inspectServerProcess(pid, databaseDir)).kind !== 'server') return;
    try {
      process.kill(pid, signal);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ESRCH') return;
      if (code === 'EPERM') {
        throw new Error(
          `PostgreSQL (PID ${pid}) still serves ${databaseDir} but belongs to another user, so this one may not stop it; stop it as its owner (kill -INT ${pid})`,
          { cause: error },
        );
      }
      throw error;
    }
    if (await exitedWithin(pid, databaseDir, ms)) return;
  }
  throw new Error(`PostgreSQL (PID ${pid}) serving ${databaseDir} did not exit after SIGINT and SIGQUIT`);
};

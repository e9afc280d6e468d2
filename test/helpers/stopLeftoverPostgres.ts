import path from 'node:path';
import { inspectServerProcess } from '../../src/db/inspectServerProcess.ts';
import { readPostmasterPid } from '../../src/db/postmasterPid.ts';
import { stopOrphanServer } from '../../src/db/stopOrphanServer.ts';

/** Stops an embedded PostgreSQL a test left running in `dataDir` (found by its postmaster.pid, checked to be that server). */
export const stopLeftoverPostgres = async (dataDir: string): Promise<void> => {
  const databaseDir = path.resolve(dataDir, 'pg');
  const lock = await readPostmasterPid(databaseDir);
  if (lock && (await inspectServerProcess(lock.pid, databaseDir)).kind === 'server') await stopOrphanServer(lock.pid, databaseDir);
};

import { readFile } from 'node:fs/promises';
import path from 'node:path';

/**
 * The lock file PostgreSQL keeps in its data directory while a server runs. Its lines are (see
 * "Database File Layout" in the PostgreSQL docs): PID, data directory, start time (epoch seconds),
 * port, socket directory, first listen address, shared memory key, status.
 */
export type PostmasterPid = {
  readonly file: string;
  readonly pid: number;
  readonly dataDir: string | undefined;
  readonly port: number | undefined;
  readonly status: string | undefined;
};

const number = (line: string | undefined): number | undefined => {
  const value = Number(line?.trim());
  return line && Number.isInteger(value) && value > 0 ? value : undefined;
};

/** Reads `postmaster.pid` in `databaseDir`; undefined when there is none (or it names no PID yet). */
export const readPostmasterPid = async (databaseDir: string): Promise<PostmasterPid | undefined> => {
  const file = path.join(databaseDir, 'postmaster.pid');
  const text = await readFile(file, 'utf8').catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') return undefined;
    throw error;
  });
  if (text === undefined) return undefined;
  const lines = text.split('\n');
  const pid = number(lines[0]);
  if (pid === undefined) return undefined;
  return { file, pid, dataDir: lines[1]?.trim() || undefined, port: number(lines[3]), status: lines[7]?.trim() || undefined };
};

import { readFile, readlink, realpath } from 'node:fs/promises';
import path from 'node:path';

/**
 * What a PID from postmaster.pid is, told from /proc (Linux):
 * - `gone`: no such process (PostgreSQL removes such a stale lock file itself);
 * - `zombie`: it has exited but is not reaped yet (it serves nothing, yet still blocks PostgreSQL's own check);
 * - `server`: a live postgres/postmaster whose data directory is `databaseDir` (its `-D` or its cwd);
 * - `other`: a live process that certainly is not that server (the PID was reused);
 * - `unknown`: cannot tell (no /proc, or not allowed to look): then nobody may touch it.
 */
export type ServerProcess =
  { readonly kind: 'gone' | 'zombie' | 'other' | 'unknown' } | { readonly kind: 'server'; readonly parentPid: number };

const read = async (file: string): Promise<string | undefined> => readFile(file, 'utf8').catch(() => undefined);

// /proc/<pid>/stat: "pid (comm) state ppid …"; comm may itself contain spaces and parentheses.
const parseStat = (stat: string): { state: string; parentPid: number } | undefined => {
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const parentPid = Number(fields[1]);
  return fields[0] && Number.isInteger(parentPid) ? { state: fields[0], parentPid } : undefined;
};

const samePath = async (a: string, b: string): Promise<boolean> => {
  const [ra, rb] = await Promise.all([realpath(a).catch(() => path.resolve(a)), realpath(b).catch(() => path.resolve(b))]);
  return ra === rb;
};

const isAlive = (pid: number): boolean | undefined => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return code === 'ESRCH' ? false : code === 'EPERM' ? true : undefined;
  }
};

export const inspectServerProcess = async (pid: number, databaseDir: string): Promise<ServerProcess> => {
  if (pid === process.pid) return { kind: 'other' };
  const stat = await read(`/proc/${pid}/stat`);
  if (stat === undefined) {
    const alive = isAlive(pid);
    // Without /proc (not Linux) a live PID cannot be identified, so it is never touched.
    return { kind: alive === false ? 'gone' : 'unknown' };
  }
  const parsed = parseStat(stat);
  if (!parsed) return { kind: 'unknown' };
  if (parsed.state === 'Z' || parsed.state === 'X') return { kind: 'zombie' };
  const cmdline = await read(`/proc/${pid}/cmdline`);
  if (cmdline === undefined) return { kind: 'unknown' };
  const args = cmdline.split('\0');
  if (!['postgres', 'postmaster'].includes(path.basename(args[0] ?? ''))) return { kind: 'other' };
  const dashD = args.indexOf('-D');
  const dataArg = dashD >= 0 ? args[dashD + 1] : undefined;
  // A relative -D is relative to where the server started; the postmaster chdirs into its data directory.
  if (dataArg && path.isAbsolute(dataArg)) {
    return (await samePath(dataArg, databaseDir)) ? { kind: 'server', parentPid: parsed.parentPid } : { kind: 'other' };
  }
  const cwd = await readlink(`/proc/${pid}/cwd`).catch(() => undefined);
  if (cwd === undefined) return { kind: 'unknown' };
  return (await samePath(cwd, databaseDir)) ? { kind: 'server', parentPid: parsed.parentPid } : { kind: 'other' };
};

import { spawn, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';

/** The state letter of /proc/<pid>/stat (R, S, Z…), undefined when there is no such process. */
export const processState = async (pid: number): Promise<string | undefined> => {
  const stat = await readFile(`/proc/${pid}/stat`, 'utf8').catch(() => undefined);
  return stat?.slice(stat.lastIndexOf(')') + 2).split(' ')[0];
};

/**
 * A zombie that stays one: a child of a process that never waits for it, as a killed server whose
 * parent died and whose reaper (a container's PID 1) is slow or absent. Kill `holder` to let it go.
 * `as` runs both as another user (root only), e.g. the embedded server's: PostgreSQL ignores a lock
 * file whose PID it may not signal, so only a zombie of its own user blocks it.
 */
export const makeZombie = async (as: { uid?: number; gid?: number } = {}): Promise<{ pid: number; holder: ChildProcess }> => {
  const holder = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 120'], { stdio: ['ignore', 'pipe', 'ignore'], ...as });
  const pid = await new Promise<number>((resolve) =>
    holder.stdout?.once('data', (chunk: Buffer) => resolve(Number(chunk.toString('utf8').trim()))),
  );
  while ((await processState(pid)) !== 'Z') await sleep(20);
  return { pid, holder };
};

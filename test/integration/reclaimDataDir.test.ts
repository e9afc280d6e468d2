// The checks that decide what a postmaster.pid names, on real processes (no PostgreSQL needed): only a
// server of that very directory whose bot died is ever signalled; stale lock files are cleared.
import { spawn, type ChildProcess } from 'node:child_process';
import { access, mkdir, mkdtemp, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { inspectServerProcess } from '../../src/db/inspectServerProcess.ts';
import { readPostmasterPid } from '../../src/db/postmasterPid.ts';
import { reclaimDataDir } from '../../src/db/reclaimDataDir.ts';
import { createRecentLines } from '../../src/db/recentLines.ts';
import { makeZombie, processState } from '../helpers/makeZombie.ts';

const started: ChildProcess[] = [];
afterAll(() => {
  for (const child of started) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
});

const track = (child: ChildProcess): ChildProcess => {
  started.push(child);
  return child;
};
const firstLine = async (child: ChildProcess): Promise<string> =>
  new Promise((resolve) => child.stdout?.once('data', (chunk: Buffer) => resolve(chunk.toString('utf8').trim())));
const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

const zombie = async (): Promise<number> => {
  const made = await makeZombie();
  track(made.holder);
  return made.pid;
};
/** A live process that is not PostgreSQL (as a reused PID). */
const makeBystander = async (): Promise<ChildProcess> => {
  const child = track(spawn('sleep', ['60'], { stdio: 'ignore' }));
  while ((await processState(child.pid ?? 0)) === undefined) await sleep(20);
  return child;
};
/** Something that looks like a postmaster for `databaseDir` (argv[0] named postgres, `-D dir`) and exits on SIGINT. */
const makeFakeServer = async (dir: string, databaseDir: string): Promise<ChildProcess> => {
  const binary = path.join(dir, 'bin', 'postgres');
  await mkdir(path.dirname(binary), { recursive: true });
  await symlink(process.execPath, binary).catch(() => {});
  const child = track(
    spawn(
      binary,
      ['-e', "process.on('SIGINT', () => process.exit(0)); setInterval(() => {}, 1000); console.log('up')", '--', '-D', databaseDir],
      { stdio: ['ignore', 'pipe', 'ignore'] },
    ),
  );
  await firstLine(child);
  return child;
};

describe('reclaiming the embedded data directory', () => {
  let dir: string;
  let databaseDir: string;
  let ownerFile: string;
  const logged: string[] = [];
  const writeLock = async (pid: number) =>
    writeFile(
      path.join(databaseDir, 'postmaster.pid'),
      `${pid}\n${databaseDir}\n1700000000\n54329\n/tmp\n127.0.0.1\n  1234  5678\nready   \n`,
    );
  const lockExists = async () =>
    access(path.join(databaseDir, 'postmaster.pid')).then(
      () => true,
      () => false,
    );
  const options = () => ({
    ownerFile,
    log: (m: string) => logged.push(m),
    settleMs: 300,
    stopTimeouts: { fastMs: 5_000, immediateMs: 5_000 },
  });

  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'pcm-reclaim-'));
    databaseDir = path.join(dir, 'pg');
    ownerFile = path.join(dir, 'pg.owner');
    await mkdir(databaseDir);
    logged.length = 0;
  });

  it('reads postmaster.pid as PostgreSQL documents it', async () => {
    await writeLock(4242);
    expect(await readPostmasterPid(databaseDir)).toMatchObject({ pid: 4242, dataDir: databaseDir, port: 54329, status: 'ready' });
  });

  it('tells a zombie, an unrelated process and a server of this directory apart', async () => {
    const zombiePid = await zombie();
    const bystander = await makeBystander();
    const fake = await makeFakeServer(dir, databaseDir);
    expect((await inspectServerProcess(zombiePid, databaseDir)).kind).toBe('zombie');
    expect((await inspectServerProcess(bystander.pid ?? 0, databaseDir)).kind).toBe('other');
    expect((await inspectServerProcess(process.pid, databaseDir)).kind).toBe('other');
    expect(await inspectServerProcess(fake.pid ?? 0, databaseDir)).toEqual({ kind: 'server', parentPid: process.pid });
    expect((await inspectServerProcess(fake.pid ?? 0, path.join(dir, 'elsewhere'))).kind).toBe('other');
  });

  it('clears a lock file naming a zombie (a killed server not yet reaped)', async () => {
    await writeLock(await zombie());
    await reclaimDataDir(databaseDir, options());
    expect(await lockExists()).toBe(false);
    expect(logged.join('\n')).toMatch(/removing the stale .*postmaster\.pid \(PID \d+ is a zombie\)/u);
  });

  it('clears a lock file naming an unrelated live process, and leaves that process alone', async () => {
    const bystander = await makeBystander();
    await writeLock(bystander.pid ?? 0);
    await reclaimDataDir(databaseDir, options());
    expect(await lockExists()).toBe(false);
    expect(isAlive(bystander.pid ?? 0)).toBe(true);
  });

  it('leaves alone a server whose bot still runs it', async () => {
    const fake = await makeFakeServer(dir, databaseDir);
    await writeLock(fake.pid ?? 0);
    await writeFile(ownerFile, `${process.pid}\n`);
    await expect(reclaimDataDir(databaseDir, options())).rejects.toThrow(
      /another process \(PID \d+, perhaps another pcm-ops-bot\) runs the PostgreSQL/u,
    );
    expect(fake.exitCode).toBeNull();
    expect(isAlive(fake.pid ?? 0)).toBe(true);
  });

  it('stops with SIGINT a server orphaned by a bot that died', async () => {
    const fake = await makeFakeServer(dir, databaseDir);
    const exited = new Promise((resolve) => fake.once('exit', (code, signal) => resolve({ code, signal })));
    await writeLock(fake.pid ?? 0);
    await writeFile(ownerFile, '999999999\n'); // the bot that started it is gone
    await reclaimDataDir(databaseDir, options()).catch(() => {});
    expect(await exited).toEqual({ code: 0, signal: null }); // its SIGINT handler ran: a fast shutdown, not a kill
    expect(logged.join('\n')).toMatch(/stopping the embedded PostgreSQL \(PID \d+\) left running by a bot that died/u);
  });

  it('keeps a bounded tail of PostgreSQL output and picks out its reasons', () => {
    const lines = createRecentLines(3, 20);
    lines.add('LOG:  starting\nLOG:  listening\n');
    lines.add(new Error('FATAL:  lock file "postmaster.pid" already exists and this line is long'));
    lines.add('[STDERR] HINT:  Is another postmaster running?');
    lines.add('LOG:  last');
    expect(lines.all()).toHaveLength(3);
    expect(lines.relevant()).toEqual(['FATAL:  lock file "p…', 'HINT:  Is another po…']);
  });
});

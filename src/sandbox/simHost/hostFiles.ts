import { chmod, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';

/** A simulated host's directories under one temporary base: the root (PCM_ROOT) and the stubs' state. */
export type HostFiles = {
  readonly base: string;
  readonly root: string;
  readonly stateDir: string;
  readonly logFile: string;
  readonly inRoot: (absPath: string) => string;
  readonly put: (file: string, content: string, mode?: number) => Promise<void>;
  readonly putState: (name: string, content: string) => Promise<void>;
  /** A state file that is there (on) or not (off). */
  readonly flag: (name: string, on: boolean) => Promise<void>;
  readonly readState: (name: string) => Promise<string | undefined>;
};

export const hostFiles = (base: string): HostFiles => {
  const root = path.join(base, 'root');
  const stateDir = path.join(base, 'state');
  const put = async (file: string, content: string, mode?: number): Promise<void> => {
    await mkdir(path.dirname(file), { recursive: true });
    await writeFile(file, content);
    if (mode !== undefined) await chmod(file, mode);
  };
  const putState = (name: string, content: string): Promise<void> => put(path.join(stateDir, name), content);
  return {
    base,
    root,
    stateDir,
    logFile: path.join(stateDir, 'invocations.log'),
    inRoot: (absPath) => path.join(root, absPath),
    put,
    putState,
    flag: async (name, on) => {
      if (on) await putState(name, '');
      else await rm(path.join(stateDir, name), { force: true });
    },
    readState: async (name) => readFile(path.join(stateDir, name), 'utf8').catch(() => undefined),
  };
};

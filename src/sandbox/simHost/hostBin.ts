import { mkdir, rm, symlink } from 'node:fs/promises';
import path from 'node:path';
import { awkFor, findTool, REAL_DATE, REAL_SLEEP, REAL_TOOLS, shq, stubSource, stubsFor } from './hostCommands.ts';
import type { HostFiles } from './hostFiles.ts';
import type { HostProfile } from './profiles.ts';

/** The directories a simulated host's PATH is made of, and how each is (re)built. */
export type HostBin = {
  /** Stubs for the profile's host commands. */
  readonly binDir: string;
  /** Symlinks to the real text tools. */
  readonly sysDir: string;
  /** Wrappers around the real text tools that log their argv (traceAllCommands). */
  readonly traceDir: string;
  /** The variables every generated stub starts with. */
  readonly header: (name: string) => string;
  readonly buildBin: (profile: HostProfile) => Promise<void>;
  readonly buildSys: (profile: HostProfile) => Promise<void>;
  /** Built on first use only: it is slower. */
  readonly ensureTrace: (profile: HostProfile) => Promise<void>;
};

export const hostBin = (files: HostFiles): HostBin => {
  const { base, put } = files;
  const binDir = path.join(base, 'bin');
  const sysDir = path.join(base, 'sys');
  const traceDir = path.join(base, 'sys-trace');
  let traceReady = false;

  const header = (name: string): string =>
    [
      '#!/bin/bash',
      `# simHost stub for ${name} (generated)`,
      `S=${shq(files.stateDir)}`,
      `R=${shq(files.root)}`,
      `STUB=${shq(name)}`,
      `LOG=${shq(files.logFile)}`,
      `REAL_DATE=${shq(REAL_DATE)}`,
      `REAL_SLEEP=${shq(REAL_SLEEP)}`,
      '',
    ].join('\n');

  return {
    binDir,
    sysDir,
    traceDir,
    header,
    buildBin: async (profile) => {
      await rm(binDir, { recursive: true, force: true });
      await mkdir(binDir, { recursive: true });
      for (const [name, file] of stubsFor(profile)) {
        await put(path.join(binDir, name), `${header(name)}${stubSource('_common.sh')}\n${stubSource(file)}`, 0o755);
      }
    },
    buildSys: async (profile) => {
      await mkdir(sysDir, { recursive: true });
      for (const tool of REAL_TOOLS) {
        const real = tool === 'awk' ? awkFor(profile.family) : findTool(tool);
        if (real) await symlink(real, path.join(sysDir, tool));
      }
    },
    ensureTrace: async (profile) => {
      if (traceReady) return;
      await mkdir(traceDir, { recursive: true });
      for (const tool of REAL_TOOLS) {
        const real = tool === 'awk' ? awkFor(profile.family) : findTool(tool);
        if (!real) continue;
        const wrapper = [
          '#!/bin/bash',
          `{ IFS=$'\\x1f'; printf '%s\\x1f%d\\x1f%s\\x1e' ${shq(tool)} "$#" "$*"; } >>${shq(files.logFile)}`,
          `exec ${shq(real)} "$@"`,
          '',
        ].join('\n');
        await put(path.join(traceDir, tool), wrapper, 0o755);
      }
      traceReady = true;
    },
  };
};

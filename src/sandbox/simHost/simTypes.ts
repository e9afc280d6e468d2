import type { PcmResult } from '../../tools/parseResult.ts';
import type { HostProfile, ProfilePatch } from './profiles.ts';

export type SimInvocation = { readonly command: string; readonly args: readonly string[] };

export type SimRunOptions = {
  readonly params?: Readonly<Record<string, string | number | boolean>>;
  readonly settings?: Readonly<Record<string, string>>;
  readonly changeNumber?: string;
  readonly runId?: string;
  /** Extra or overriding environment (e.g. to drop PCM_CHANGE_NUMBER, set it to ''). */
  readonly env?: Readonly<Record<string, string>>;
  readonly timeoutMs?: number;
  /** Wrap the real tools too (cp, mv, cat…) so their argv is logged; slower, for leak tests. */
  readonly traceAllCommands?: boolean;
  /** Send this signal to the script's whole process group after a delay (like SSM cancel/timeout). */
  readonly signal?: { readonly name: NodeJS.Signals; readonly afterMs: number };
  /**
   * Run this AWS-RunShellScript `commands` list (e.g. from buildCommands) the way the SSM agent
   * does, joined with "\n" and run by /bin/sh, instead of the script file. Its `unset PCM_ROOT`
   * line is dropped: that is the one thing the simulated host must keep.
   */
  readonly commands?: readonly string[];
};

export type SimRunResult = {
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly timedOut: boolean;
  readonly stdout: string;
  readonly stderr: string;
  readonly result: PcmResult | undefined;
  readonly root: string;
  readonly invocations: readonly SimInvocation[];
  readonly durationMs: number;
};

export type RebootOptions = {
  /** Boot this kernel instead of the boot loader's default (e.g. a fallback after a failed boot). */
  readonly kernel?: string;
  readonly uptimeSeconds?: number;
  /** Seconds the reboot takes on the fake clock. */
  readonly downtimeSeconds?: number;
};

export type SimHost = {
  readonly root: string;
  readonly stateDir: string;
  /** The profile as last set (stub-side mutations such as installed kernels live in the state dir). */
  readonly profile: () => HostProfile;
  readonly run: (script: string, options?: SimRunOptions) => Promise<SimRunResult>;
  /** Applies profile fields (only those given) to the running host, e.g. a service that died. */
  readonly update: (patch: ProfilePatch) => Promise<void>;
  /** Boots the boot loader's default kernel (or `kernel`), resets uptime, advances the fake clock. */
  readonly reboot: (options?: RebootOptions) => Promise<string>;
  readonly advanceClock: (seconds: number) => Promise<void>;
  readonly readFile: (absPath: string) => Promise<string | undefined>;
  readonly writeFile: (absPath: string, content: string, mode?: number) => Promise<void>;
  readonly removeFile: (absPath: string) => Promise<void>;
  readonly fileMode: (absPath: string) => Promise<number | undefined>;
  readonly state: (name: string) => Promise<string | undefined>;
  readonly installedKernels: () => Promise<string[]>;
  /** Packages other than kernels installed on the host (e.g. a -dbg package a pattern selected). */
  readonly installedPackages: () => Promise<string[]>;
  /** Runs one host command (a stub) as the scripts would, e.g. to check the fake behaves like the real tool. */
  readonly command: (
    name: string,
    args: readonly string[],
  ) => Promise<{ readonly exitCode: number | null; readonly stdout: string; readonly stderr: string }>;
  readonly invocations: () => Promise<SimInvocation[]>;
  readonly cleanup: () => Promise<void>;
};

import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { expect } from 'vitest';
import type { PcmResult } from '../../../src/tools/parseResult.ts';
import type { SimInvocation, SimRunResult } from '../../../src/sandbox/simHost/simTypes.ts';

const EXIT_CODES: Record<PcmResult['status'], readonly number[]> = { ok: [0], warn: [0], fail: [1, 3], unsupported: [2] };

/**
 * The output contract of every script: PCM_RESULT is the last stdout line, it parses, and the exit
 * code matches the status (0 ok/warn, 1 fail, 2 unsupported, 3 unexpected error reported as fail).
 * Returns the result for further assertions.
 */
export const expectContract = (run: SimRunResult, status?: PcmResult['status']): PcmResult => {
  const lines = run.stdout.split('\n').filter((l) => l.length > 0);
  const context = `exit ${String(run.exitCode)}\n--- stdout\n${run.stdout}\n--- stderr\n${run.stderr}`;
  expect(run.timedOut, context).toBe(false);
  expect(lines.at(-1)?.startsWith('PCM_RESULT {'), context).toBe(true);
  expect(
    lines.filter((l) => l.startsWith('PCM_RESULT ')),
    context,
  ).toHaveLength(1);
  expect(run.result, context).toBeDefined();
  const result = run.result as PcmResult;
  if (status) expect(result.status, `${result.summary}\n${context}`).toBe(status);
  expect(EXIT_CODES[result.status], context).toContain(run.exitCode);
  expect(result.summary.length).toBeGreaterThan(0);
  expect(result.summary.length).toBeLessThanOrEqual(200);
  return result;
};

export const commandLines = (invocations: readonly SimInvocation[]): string[] => invocations.map((i) => [i.command, ...i.args].join(' '));

/** Whether a stub was called with exactly these leading arguments. */
export const invoked = (run: SimRunResult, command: string, ...args: string[]): boolean =>
  run.invocations.some((i) => i.command === command && args.every((a, n) => i.args[n] === a));

/** Every file under `dir` (recursively) whose content contains `needle`. */
export const filesContaining = async (dir: string, needle: string): Promise<string[]> => {
  const hits: string[] = [];
  const walk = async (d: string): Promise<void> => {
    for (const entry of await readdir(d, { withFileTypes: true })) {
      const p = path.join(d, entry.name);
      if (entry.isDirectory()) await walk(p);
      else if (entry.isFile() && (await readFile(p, 'utf8')).includes(needle)) hits.push(p);
    }
  };
  await walk(dir);
  return hits;
};

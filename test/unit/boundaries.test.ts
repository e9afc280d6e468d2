import { join } from 'node:path';
import { ESLint } from 'eslint';
import { describe, expect, it } from 'vitest';

// Lints one import as if it were written in a file at `file`, with the project's own eslint.config.js.
const eslint = new ESLint({ cwd: join(import.meta.dirname, '../..') });
const refused = async (file: string, specifier: string): Promise<boolean> => {
  const [result] = await eslint.lintText(`import '${specifier}';\n`, { filePath: file });
  return (result?.messages ?? []).some((m) => m.ruleId === 'no-restricted-imports');
};

// [file, import, refused?]: each rule fires on a crossing and stays quiet on the allowed neighbour.
const cases: readonly (readonly [string, string, boolean])[] = [
  ['src/domain/probe.ts', '../config/targetsSchema.ts', true],
  ['src/domain/probe.ts', '../db/queries/runs.ts', true],
  ['src/domain/probe.ts', 'slonik', true],
  ['src/domain/probe.ts', './runStatus.ts', false],
  ['src/runs/probe.ts', '../slack/sender.ts', true],
  ['src/runs/probe.ts', '../outbox/deliver.ts', true],
  ['src/runs/probe.ts', '../executor/createExecutor.ts', true],
  ['src/runs/probe.ts', '../db/queries/runs.ts', false],
  ['src/executor/probe.ts', '../slack/sender.ts', true],
  ['src/executor/probe.ts', '../outbox/deliver.ts', true],
  ['src/executor/probe.ts', '@slack/web-api', true],
  ['src/executor/probe.ts', '../db/queries/chunks.ts', false],
  ['src/db/probe.ts', '../runs/submitRun.ts', true],
  ['src/db/probe.ts', '../logger.ts', true],
  ['src/db/probe.ts', '../domain/runStatus.ts', false],
  ['src/db/probe.ts', '../config/envSchema.ts', false],
  ['src/db/probe.ts', './queries/runs.ts', false],
  ['src/db/queries/probe.ts', '../../executor/driveRun.ts', true],
  ['src/db/queries/probe.ts', '../../domain/runStatus.ts', false],
  ['src/db/queries/probe.ts', '../pool.ts', false],
  ['src/slack/probe.ts', '../executor/driveRun.ts', true],
  ['src/slack/probe.ts', './blocks/runMessage.ts', false],
  ['src/slack/listeners/views/probe.ts', '../actions/register.ts', true],
  ['src/slack/listeners/views/probe.ts', '../../../executor/driveRun.ts', true],
  ['src/slack/listeners/views/probe.ts', '../../blocks/rejectModal.ts', false],
  ['src/http/probe.ts', '../sandbox/console.ts', true],
  ['src/slack/probe.ts', '../sandbox/fakeSlack.ts', true],
  ['src/main.ts', './sandbox/console.ts', false],
  ['src/sandbox/probe.ts', './fakeSlack.ts', false],
  ['test/unit/probe.test.ts', '../../src/sandbox/console.ts', false],
];

describe("the architecture's dependency rules are linted", () => {
  it.each(cases)('%s importing %s: refused %s', async (file, specifier, expected) => {
    expect(await refused(file, specifier)).toBe(expected);
  });
});

import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeRunStatuses, runStatuses, runTransitions, terminalRunStatuses } from '../../src/domain/runStatus.ts';
import { statusLabel } from '../../src/domain/statusLabel.ts';
import { label } from '../../src/slack/blocks/statusEmoji.ts';

const SRC = join(import.meta.dirname, '../../src');
// The simulators stand for the outside systems and keep their own words on purpose.
const sources = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.ts') && !f.startsWith('sandbox'))
  .map((f) => ({ file: relative(SRC, join(SRC, f)), text: readFileSync(join(SRC, f), 'utf8') }));

// [what, pattern, the one file allowed to define it]: a second spelling drifts from the first.
const words: readonly (readonly [string, RegExp, string])[] = [
  ['the status label', /\.replace\(\/_\/gu?, ' '\)/u, 'domain/statusLabel.ts'],
  ['the change-number pattern', /\/\^?CHG\[/u, 'domain/changeRules.ts'],
  ['the partition list', /\[\s*'aws',\s*'aws-us-gov'\s*\]|'aws'\s*\|\s*'aws-us-gov'/u, 'domain/partition.ts'],
  ['the second-approval policies', /'off',\s*'mutating',\s*'govcloud-mutating'/u, 'domain/approvalPolicy.ts'],
  ['the "and N more" list', /` and \$\{\w+\.length - max\} more`/u, 'domain/listSome.ts'],
  [
    'a list of run statuses',
    /'pending_approval',\s*'approved',\s*'running'|'succeeded',\s*'failed',\s*'partially_failed'/u,
    'domain/runStatus.ts',
  ],
];

describe('every domain word is defined once, in domain/', () => {
  it.each(words)('%s', (_what, pattern, home) => {
    const found = sources.filter((s) => pattern.test(s.text)).map((s) => s.file);
    expect(found).toEqual([home]);
  });

  it('the status lists split into active and terminal along the state machine', () => {
    expect([...activeRunStatuses, ...terminalRunStatuses].sort()).toEqual([...runStatuses].sort());
    for (const s of terminalRunStatuses) expect(runTransitions[s]).toEqual([]);
    expect(activeRunStatuses).toEqual(['pending_approval', 'approved', 'scheduled', 'running', 'halted']);
  });

  it('Slack shows the domain label after the emoji', () => {
    expect(statusLabel('partially_failed')).toBe('partially failed');
    expect(label('partially_failed')).toBe(':large_orange_circle: partially failed');
    expect(label('something_new')).toBe('something new');
  });
});

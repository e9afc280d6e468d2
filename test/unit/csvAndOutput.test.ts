// CSV fields (RFC 4180, formula-safe), the results column list, and the output modal's cutting on line boundaries.
import { describe, expect, it } from 'vitest';
import { csvField } from '../../src/domain/csv.ts';
import { RESULT_COLUMNS, resultsCsv } from '../../src/domain/resultsCsv.ts';
import { outputModal, outputSections } from '../../src/slack/blocks/outputModal.ts';
import { validateView } from '../../src/sandbox/slack/blockKitLimits.ts';

describe('csvField', () => {
  it('quotes per RFC 4180 and neutralises formulas from hosts', () => {
    expect(csvField('plain')).toBe('plain');
    expect(csvField('a,b')).toBe('"a,b"');
    expect(csvField('say "hi"')).toBe('"say ""hi"""');
    expect(csvField('two\r\nlines')).toBe('"two\r\nlines"');
    for (const lead of ['=', '+', '-', '@', '\t', '\r'])
      expect(csvField(`${lead}SUM(A1)`).startsWith(`'${lead}`) || csvField(`${lead}SUM(A1)`).startsWith(`"'${lead}`)).toBe(true);
    expect(csvField('=1,2')).toBe(`"'=1,2"`);
    expect(csvField(-1)).toBe('-1');
    expect(csvField(null)).toBe('');
    expect(csvField(true)).toBe('true');
  });

  it('the results CSV has one column list (a new column is one line)', () => {
    const csv = resultsCsv([]);
    expect(csv).toBe(`${RESULT_COLUMNS.map((c) => c.header).join(',')}\r\n`);
  });
});

describe('outputSections', () => {
  it('cuts on line boundaries within a section, splits only an overlong line, and counts what it left out', () => {
    const lines = Array.from({ length: 200 }, (_, i) => `line ${i} ${'y'.repeat(40)}`);
    const { sections, cutLines } = outputSections(lines.join('\n'), 2);
    expect(sections).toHaveLength(2);
    for (const s of sections) {
      expect(s.length).toBeLessThanOrEqual(3000);
      expect(s.startsWith('```\n') && s.endsWith('\n```')).toBe(true);
    }
    const shown = sections.flatMap((s) => s.slice(4, -4).split('\n'));
    expect(shown).toEqual(lines.slice(0, shown.length));
    expect(cutLines).toBe(200 - shown.length);
    const long = outputSections('z'.repeat(7000), 10);
    expect(long.sections.map((s) => s.length)).toEqual([2998, 2998, 7000 - 2 * 2990 + 8]);
  });

  it('a full modal of the largest output stays within Block Kit limits', () => {
    const text = Array.from({ length: 24_000 / 4 }, () => '&<>').join('\n');
    const view = outputModal('00000000-0000-0000-0000-000000000000', {
      instance_id: 'i-0123456789abcdef0',
      computer_name: '<!here>',
      account_id: '111111111111',
      region: 'us-east-1',
      status: 'failed',
      status_details: 'Failed',
      response_code: 1,
      stdout: text,
      stdout_truncated: true,
      stderr: text.slice(0, 8000),
      stderr_truncated: true,
      output_pruned: false,
    });
    expect(validateView(view as unknown as Record<string, unknown>, 'modal')).toEqual([]);
    expect(JSON.stringify(view).length).toBeLessThan(250_000);
  });
});

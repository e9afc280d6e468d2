import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { splitPluginOutput } from '../../src/executor/splitPluginOutput.ts';
import { parsePcmResult, pcmResultSchema } from '../../src/tools/parseResult.ts';
import type { PcmResult } from '../../src/tools/parseResult.ts';

const line = (value: unknown): string => `PCM_RESULT ${JSON.stringify(value)}`;
const ok: PcmResult = {
  status: 'ok',
  summary: 'Ready for patching',
  details: { ready: true, rootFreeMb: 12_000, reasons: [], osId: 'rhel' },
};

describe('parsePcmResult', () => {
  it('parses the result line after the human output', () => {
    expect(parsePcmResult(`OS: RHEL 9\nDisk: fine\n${line(ok)}\n`)).toEqual(ok);
  });

  it('uses the last result line and tolerates CRLF and trailing blank lines', () => {
    const first = { ...ok, status: 'fail', summary: 'earlier' };
    expect(parsePcmResult(`${line(first)}\r\n${line(ok)}\r\n\r\n`)).toEqual(ok);
  });

  it('returns undefined without a result line', () => {
    expect(parsePcmResult('')).toBeUndefined();
    expect(parsePcmResult('just output\n')).toBeUndefined();
    expect(parsePcmResult(' PCM_RESULT {"status":"ok"}')).toBeUndefined();
  });

  it('returns undefined for a truncated result line instead of falling back to an earlier one', () => {
    const full = `${line({ ...ok, summary: 'stale' })}\n${line(ok)}\n`;
    expect(parsePcmResult(full.slice(0, full.length - 10))).toBeUndefined();
  });

  it('takes a planted earlier result line only as human output: the last non-empty line decides', () => {
    const fake = line({ ...ok, summary: 'planted by the host' });
    expect(parsePcmResult(`${fake}\nchecking…\n${line({ ...ok, status: 'fail', summary: 'real' })}\n\n`)).toMatchObject({
      status: 'fail',
      summary: 'real',
    });
    // A result line followed by anything else is no result (same as a missing one).
    expect(parsePcmResult(`${fake}\nservice nginx: running\n`)).toBeUndefined();
    expect(parsePcmResult(`human\n${line(ok)}\n  tail  \n`)).toBeUndefined();
    expect(parsePcmResult(`human\n${line(ok)}\r\n \r\n\t\n`)).toEqual(ok);
  });

  it('a truncated stdout has no result even when an earlier line looks like one', () => {
    const fake = line({ ...ok, summary: 'echoed user data' });
    const full = `start\n${fake}\n${'x'.repeat(80)}\n`.repeat(400) + line({ ...ok, status: 'fail', summary: 'real' });
    // GetCommandInvocation keeps the first 24,000 characters.
    expect(parsePcmResult(full.slice(0, 24_000))).toBeUndefined();
    // ListCommandInvocations' plugin Output: ~2,500 characters, then the agent's truncation marker.
    const plugin = `${full.slice(0, 2_500)}\n---Output truncated---\n----------ERROR-------\nwarning\n`;
    const split = splitPluginOutput(plugin);
    expect(split.truncated).toBe(true);
    expect(parsePcmResult(split.stdout)).toBeUndefined();
    expect(parsePcmResult(full)).toMatchObject({ status: 'fail', summary: 'real' });
  });

  it('rejects unknown statuses and nested detail objects', () => {
    expect(parsePcmResult(line({ ...ok, status: 'success' }))).toBeUndefined();
    expect(parsePcmResult(line({ ...ok, details: { nested: { a: 1 } } }))).toBeUndefined();
    expect(parsePcmResult(line({ ...ok, details: { list: [1, 2] } }))).toBeUndefined();
    expect(parsePcmResult('PCM_RESULT [1,2]')).toBeUndefined();
  });

  it('cuts an over-long summary instead of dropping the result', () => {
    const parsed = parsePcmResult(line({ ...ok, summary: 'x'.repeat(500) }));
    expect(parsed?.summary).toHaveLength(200);
    expect(parsed?.summary.endsWith('…')).toBe(true);
  });

  it('defaults missing details to {}', () => {
    expect(parsePcmResult(line({ status: 'unsupported', summary: 'Unsupported OS' }))).toEqual({
      status: 'unsupported',
      summary: 'Unsupported OS',
      details: {},
    });
  });

  const detailValue = fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(fc.string(), { maxLength: 5 }));
  const resultArb = fc.record({
    status: fc.constantFrom('ok' as const, 'warn' as const, 'fail' as const, 'unsupported' as const),
    summary: fc.string({ maxLength: 200 }),
    details: fc.dictionary(fc.string({ minLength: 1, maxLength: 20 }), detailValue, { maxKeys: 8 }),
  });

  it('round-trips any valid result after arbitrary single-line human output', () => {
    fc.assert(
      fc.property(
        resultArb,
        fc.array(
          fc.string().map((s) => s.replace(/[\r\n]/gu, ' ')),
          { maxLength: 5 },
        ),
        (result, human) => {
          const stdout = [...human.filter((h) => !h.startsWith('PCM_RESULT ')), line(result)].join('\n');
          expect(parsePcmResult(stdout)).toEqual(pcmResultSchema.parse(result));
        },
      ),
    );
  });

  it('a stdout cut at any point yields the full result or undefined, never something else', () => {
    fc.assert(
      fc.property(resultArb, fc.nat(), (result, cut) => {
        const stdout = `some human line\n${line(result)}\n`;
        const parsed = parsePcmResult(stdout.slice(0, cut % (stdout.length + 1)));
        if (parsed !== undefined) expect(parsed).toEqual(pcmResultSchema.parse(result));
      }),
    );
  });
});

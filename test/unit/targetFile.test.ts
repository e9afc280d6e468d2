import { describe, expect, it } from 'vitest';
import { MAX_FILE_TARGETS, parseTargetFile } from '../../src/domain/targetFile.ts';
import { mergeSelectors } from '../../src/domain/targetSelectors.ts';
import { pickerOptions } from '../../src/slack/blocks/pickerOptions.ts';
import { validateOptionsResponse } from '../../src/sandbox/slack/blockKitLimits.ts';

const A = 'i-0123456789abcdef0';
const B = 'i-00000000000000001';

describe('an uploaded target list', () => {
  it('reads one id or computer name per line, skipping blank and # lines, de-duplicated', () => {
    expect(parseTargetFile(`\uFEFF# fleet\r\n${A}\r\n\r\nWeb-01.example.internal\n${A}\n`)).toEqual({
      ok: true,
      entries: 2,
      selectors: [
        { kind: 'ids', ids: [A] },
        { kind: 'names', names: ['web-01.example.internal'] },
      ],
    });
  });

  it('reads the named column of a CSV, whatever the header spelling and quoting', () => {
    for (const header of ['instance_id', 'InstanceId', 'Instance ID', 'id']) {
      const csv = `owner,${header},note\nteam-a,${A},"x, y"\n"team ""b""","${B}",z\n`;
      expect(parseTargetFile(csv)).toMatchObject({ ok: true, selectors: [{ kind: 'ids', ids: [A, B] }] });
    }
    expect(parseTargetFile('name,owner\nweb-01,me\n')).toMatchObject({ ok: true, selectors: [{ kind: 'names', names: ['web-01'] }] });
    // instance_id wins over name when both are there.
    expect(parseTargetFile(`name,instance_id\nweb-01,${A}\n`)).toMatchObject({ ok: true, selectors: [{ kind: 'ids', ids: [A] }] });
  });

  it('refuses what it cannot read, naming the lines', () => {
    expect(parseTargetFile('')).toMatchObject({ ok: false });
    expect(parseTargetFile('owner,server\nme,web-01\n')).toMatchObject({ ok: false, message: expect.stringContaining('no header') });
    const bad = parseTargetFile(`${A}\ni-xyz\n<!channel>\n$(reboot)\n`);
    expect(bad).toMatchObject({ ok: false, message: expect.stringContaining('line 2 "i-xyz", line 3 "<!channel>", line 4') });
    const many = parseTargetFile(Array.from({ length: MAX_FILE_TARGETS + 1 }, () => A).join('\n'));
    expect(many).toMatchObject({ ok: false, message: expect.stringContaining(`at most ${MAX_FILE_TARGETS}`) });
  });

  it('joins the paste box, the picks and the file into one de-duplicated list', () => {
    expect(
      mergeSelectors([
        [
          { kind: 'ids', ids: [A] },
          { kind: 'tag', key: 'Env', values: ['prod'] },
        ],
        [{ kind: 'ids', ids: [B, A] }],
        [
          { kind: 'names', names: ['web-01'] },
          { kind: 'ids', ids: [B] },
        ],
      ]),
    ).toEqual([
      { kind: 'ids', ids: [A, B] },
      { kind: 'names', names: ['web-01'] },
      { kind: 'tag', key: 'Env', values: ['prod'] },
    ]);
  });
});

describe('the picker options', () => {
  it('are plain_text within Slack’s limits, with what hosts say about themselves cleaned and cut', () => {
    const match = (i: number) => ({
      instanceId: `i-${String(i).padStart(17, '0')}`,
      computerName: `<!channel>\u202e\n${'😀'.repeat(60)}`,
      ipAddress: '10.0.0.1',
      accountId: '111111111111',
      region: 'us-east-1',
      partition: 'aws',
      pingStatus: 'Online',
      platformName: 'x'.repeat(200),
    });
    const options = pickerOptions(Array.from({ length: 150 }, (_, i) => match(i)));
    expect(options).toHaveLength(100);
    expect(validateOptionsResponse({ options })).toEqual([]);
    const [first] = options;
    expect(first?.value).toBe('i-00000000000000000');
    expect(first?.text.type).toBe('plain_text');
    expect(first?.text.text.startsWith('i-00000000000000000 · <!channel> 😀')).toBe(true);
    expect(first?.text.text).not.toMatch(/[\u202e\n]/u);
    expect(first?.text.text.endsWith('…')).toBe(true);
    expect(first?.description?.text.length).toBeLessThanOrEqual(75);
  });
});

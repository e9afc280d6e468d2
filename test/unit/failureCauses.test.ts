// Results grouped by cause (issue 10, item 4): the pure grouping and the summary's bounded rendering.
import { describe, expect, it } from 'vitest';
import { groupFailureCauses, normaliseCause, type RawCause } from '../../src/domain/failureCauses.ts';
import { causesText, summaryMessage } from '../../src/slack/blocks/runMessage.ts';
import type { RunView } from '../../src/slack/blocks/runView.ts';
import { validateMessageBlocks } from '../../src/sandbox/slack/blockKitLimits.ts';

const view: RunView = {
  id: '00000000-0000-4000-8000-000000000001',
  tool: 'qc-prep',
  toolTitle: 'QC Prep',
  action: 'initial-qc',
  actionTitle: 'Initial QC',
  params: {},
  requesterId: 'U0REQUESTER',
  changeNumber: 'CHG0012345',
  status: 'failed',
  scriptSha256: 'a'.repeat(64),
  planDigest: 'b'.repeat(64),
  mutates: false,
  approvalsRequired: 1,
  targetCount: 10_000,
  correlationId: 'c',
  cancelRequestedBy: null,
  createdAt: 0,
  approvalExpiresAt: 0,
};

describe('normaliseCause', () => {
  it.each([
    ['/boot has 80 MB free', '/boot has N MB free'],
    ['/boot has 12 MB free', '/boot has N MB free'],
    ['  kernel 5.14.0-362.8.1  not   staged ', 'kernel N-N not staged'],
    ['dnf lock held by pid 4711 on i-0123456789abcdef0', 'dnf lock held by pid N on N'],
    [null, ''],
  ])('%j → %j', (raw, normal) => {
    expect(normaliseCause(raw)).toBe(normal);
  });

  it('bounds a long cause', () => {
    expect([...normaliseCause('x'.repeat(1_000))]).toHaveLength(160);
  });
});

describe('groupFailureCauses', () => {
  it('merges causes that differ only in numbers, per status, largest first', () => {
    const rows: RawCause[] = [
      { status: 'failed', cause: '/boot has 80 MB free', count: 20 },
      { status: 'failed', cause: '/boot has 12 MB free', count: 17 },
      { status: 'failed', cause: 'sshd not running', count: 30 },
      { status: 'timed_out', cause: 'Execution Timed Out', count: 2 },
      { status: 'undeliverable', cause: 'Undeliverable', count: 5 },
      { status: 'failed', cause: '/BOOT has 1 MB free', count: 1 },
    ];
    const groups = groupFailureCauses(rows);
    expect(groups.map((g) => [g.count, g.status, g.cause])).toEqual([
      [38, 'failed', '/boot has N MB free'],
      [30, 'failed', 'sshd not running'],
      [5, 'undeliverable', 'Undeliverable'],
      [2, 'timed_out', 'Execution Timed Out'],
    ]);
    // The key is stable and tells statuses apart.
    expect(groupFailureCauses(rows)[0]?.key).toBe(groups[0]?.key);
    expect(new Set(groups.map((g) => g.key)).size).toBe(4);
  });
});

describe('the summary: failures by cause within Block Kit limits', () => {
  // 10,000 failed instances with 2,000 distinct causes (texts without numbers, so they do not merge).
  const words = (i: number) => i.toString(26).replace(/[0-9]/gu, (d) => 'qrstuvwxyz'[Number(d)] ?? 'q');
  const rows: RawCause[] = Array.from({ length: 2_000 }, (_, i) => ({
    status: 'failed',
    cause: `check ${words(i)} failed <!channel> & <@UEVIL> ${'padding '.repeat(i % 7)}`,
    count: i === 0 ? 8_001 : 1,
  }));
  const groups = groupFailureCauses(rows);

  it('cuts on line boundaries, keeps "…and N more causes" exact, escapes host text', () => {
    expect(groups.reduce((n, g) => n + g.count, 0)).toBe(10_000);
    const stored = groups.slice(0, 100);
    const text = causesText(stored, groups.length);
    expect(text.length).toBeLessThanOrEqual(3_000);
    const lines = text.split('\n');
    expect(lines[1]).toMatch(/^• \*8001\* hosts: check q failed &lt;!channel&gt; &amp; &lt;@UEVIL&gt;/u);
    const shown = lines.filter((l) => l.startsWith('• *')).length;
    expect(lines.at(-1)).toBe(`• …and ${groups.length - shown} more causes`);
    expect(text).not.toMatch(/<!channel>|<@UEVIL>/u);
  });

  it('a summary message at 10,000 instances passes the Block Kit limits', () => {
    const message = summaryMessage(view, 'failed', { failed: 10_000 }, [], { causes: groups.slice(0, 100), total: groups.length });
    expect(validateMessageBlocks(message.blocks)).toEqual([]);
    expect(JSON.stringify(message.blocks)).toContain('more causes');
  });

  it('all causes fitting: no "more" line', () => {
    const few = groupFailureCauses(rows.slice(0, 3));
    expect(causesText(few, few.length)).not.toMatch(/more causes/u);
  });
});

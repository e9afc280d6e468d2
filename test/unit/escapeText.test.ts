import { describe, expect, it } from 'vitest';
import { cleanText, escapeLine, escapeText } from '../../src/domain/escapeText.ts';
import { mention } from '../../src/slack/blocks/mention.ts';
import { summaryMessage } from '../../src/slack/blocks/runMessage.ts';
import type { RunView } from '../../src/slack/blocks/runView.ts';
import { opsHelpText } from '../../src/slack/blocks/opsHelp.ts';
import { markupTokens } from '../../src/sandbox/slack/mrkdwnMarkup.ts';

const PAYLOAD = '<!channel> *x* <https://evil.example|click>';

describe('escapeText', () => {
  it('escapes exactly &, < and > (Slack "Escaping text"), & first', () => {
    expect(escapeText(PAYLOAD)).toBe('&lt;!channel&gt; *x* &lt;https://evil.example|click&gt;');
    expect(escapeText('a & b &lt; <@U123> "q" \'s\'')).toBe('a &amp; b &amp;lt; &lt;@U123&gt; "q" \'s\'');
    expect(markupTokens(escapeText(PAYLOAD))).toEqual([]);
  });

  it('strips control, bidi and invisible characters; keeps newlines, tabs and emoji joiners', () => {
    const bidi = '\u202A\u202B\u202C\u202D\u202E\u2066\u2067\u2068\u2069\u200E\u200F\u061C';
    expect(cleanText(`a${bidi}b`)).toBe('ab');
    expect(cleanText('a\u0000\u0007\u001B[31mb\u007F\u0085c')).toBe('a[31mbc');
    expect(cleanText('a\u200B\u2060\uFEFFb')).toBe('ab');
    expect(cleanText('one\r\ntwo\rthree\u2028four\tfive')).toBe('one\ntwo\nthree\nfour\tfive');
    expect(cleanText('👩\u200D💻')).toBe('👩\u200D💻');
    expect(escapeText(`\u202E<!here>`)).toBe('&lt;!here&gt;');
  });
});

describe('escapeLine', () => {
  it('makes a multi-line, overlong host summary one bounded line', () => {
    const line = escapeLine(`\u202Efirst\nsecond  \r\n\tthird ${'z'.repeat(300)}`, 40);
    expect(line).not.toMatch(/[\n\r\t\u202E]/u);
    expect(line.startsWith('first second third zzz')).toBe(true);
    expect([...line]).toHaveLength(40);
    expect(line.endsWith('…')).toBe(true);
    expect(escapeLine('short', 40)).toBe('short');
  });

  it('cuts before escaping, so an entity is never cut in half', () => {
    expect(escapeLine('<<<<<<<<<<', 5)).toBe('&lt;&lt;&lt;&lt;…');
  });
});

describe('mention', () => {
  it('mentions user ids the bot recorded; anything else is escaped text', () => {
    expect(mention('U0APPROVER')).toBe('<@U0APPROVER>');
    expect(mention('W012ABC')).toBe('<@W012ABC>');
    expect(mention('executor')).toBe('executor');
    expect(mention('U1><!channel')).toBe('U1&gt;&lt;!channel');
  });
});

describe('builders', () => {
  const run: RunView = {
    id: '11111111-2222-3333-4444-555555555555',
    tool: 'qc-prep',
    toolTitle: 'QC',
    action: 'a',
    actionTitle: 'A',
    params: { note: PAYLOAD },
    requesterId: 'U0REQUESTER',
    changeNumber: 'CHG0012345',
    status: 'failed',
    scriptSha256: 'f'.repeat(64),
    planDigest: 'e'.repeat(64),
    mutates: false,
    approvalsRequired: 1,
    targetCount: 1,
    correlationId: 'c',
    cancelRequestedBy: null,
    createdAt: 0,
    approvalExpiresAt: 0,
  };

  it('the final summary shows a host summary as one escaped line', () => {
    const message = summaryMessage(run, 'failed', { failed: 1 }, [
      {
        instanceId: 'i-0123456789abcdef0',
        accountId: '111111111111',
        region: 'us-east-1',
        status: 'failed',
        statusDetails: 'Failed',
        summary: `${PAYLOAD}\nsecond line ${'y'.repeat(300)}`,
      },
    ]);
    const body = JSON.stringify(message);
    expect(body).toContain('&lt;!channel&gt; *x* &lt;https://evil.example|click&gt; second line yyy');
    expect(markupTokens(body)).toEqual([]);
  });

  it('/ops help quotes what the person typed as text, and its own placeholders are not links', () => {
    const text = opsHelpText(`\`${PAYLOAD}\` is not an /ops command.`);
    expect(markupTokens(text)).toEqual([]);
    expect(text).toContain('`/ops show &lt;run id&gt;`');
  });
});

describe("markupTokens (the fake Slack's check)", () => {
  it('classifies what Slack would act on', () => {
    expect(markupTokens(`hi <@U1> in <#C1> at <!date^1^{date}|x> ${PAYLOAD} <!subteam^S1> <mailto:a@b>`).map((t) => t.kind)).toEqual([
      'user',
      'channel',
      'date',
      'broadcast',
      'link',
      'broadcast',
      'link',
    ]);
  });
});

import { describe, expect, it } from 'vitest';
import { groupsText } from '../../src/slack/blocks/approvalMessage.ts';
import { parseTargetSelectors } from '../../src/domain/targetSelectors.ts';
import { preflight } from '../../src/domain/preflight.ts';

describe('approval message targets (issue 9)', () => {
  it('cuts the per-account/region list on line boundaries within 3,000 characters and keeps the "…and N more" line', () => {
    const groups = Array.from({ length: 60 }, (_, g) => ({
      partition: g % 2 ? 'aws-us-gov' : 'aws',
      accountId: String(100000000000 + g),
      region: g % 2 ? 'us-gov-west-1' : 'ap-southeast-2',
      instanceIds: Array.from({ length: 84 }, (_, i) => `i-${(g * 1000 + i).toString(16).padStart(17, '0')}`),
    }));
    const text = groupsText(groups);
    expect(text.length).toBeLessThanOrEqual(3000);
    expect(text.split('\n').at(-1)).toMatch(/^• …and \d+ more account\/regions$/u);
    const shown = text.split('\n').filter((l) => l.startsWith('• `')).length;
    expect(text).toContain(`…and ${60 - shown} more account/regions`);
  });
});

describe('target selectors', () => {
  it('parses ids, names, tags with several values, tag keys and steps, one per line', () => {
    const parsed = parseTargetSelectors(
      'i-0123456789abcdef0, web-01.example.internal\ntag:Env=prod,stage\ntag-key:Owner\nstep:qc-prep/initial-qc=success\ni-xyz',
    );
    expect(parsed.invalid).toEqual(['i-xyz']);
    expect(parsed.selectors).toEqual([
      { kind: 'ids', ids: ['i-0123456789abcdef0'] },
      { kind: 'names', names: ['web-01.example.internal'] },
      { kind: 'tag', key: 'Env', values: ['prod', 'stage'] },
      { kind: 'tag-key', keys: ['Owner'] },
      { kind: 'step', tool: 'qc-prep', action: 'initial-qc', outcome: 'success' },
    ]);
  });

  it('pre-flight de-duplicates and excludes with reasons; locks bind only mutating actions', () => {
    const inst = (id: string, over: Record<string, unknown> = {}) => ({
      ref: id,
      instance: {
        instanceId: id,
        accountId: '111111111111',
        region: 'us-east-1',
        partition: 'aws' as const,
        computerName: null,
        platformType: 'Linux',
        platformName: 'Amazon Linux',
        pingStatus: 'Online',
        gone: false,
        ...over,
      },
    });
    const candidates = [
      inst('i-1'),
      inst('i-1'),
      inst('i-2', { pingStatus: 'Inactive' }),
      inst('i-3', { platformType: 'Windows' }),
      inst('i-4', { gone: true }),
      { ref: 'nohost' },
      inst('i-5'),
    ];
    const locks = [{ instanceId: 'i-5', runId: 'abcdef12-0000', tool: 'qc-prep', action: 'kernel-staging', requesterId: 'U1' }];
    const mutating = preflight({ candidates, platform: 'Linux', mutates: true, locks });
    expect(mutating.eligible.map((e) => e.instanceId)).toEqual(['i-1']);
    expect(mutating.excluded.map((e) => e.reason)).toEqual(['inactive', 'wrong_platform', 'not_managed', 'not_found', 'locked']);
    expect(preflight({ candidates, platform: 'Linux', mutates: false, locks }).eligible.map((e) => e.instanceId)).toEqual(['i-1', 'i-5']);
  });
});

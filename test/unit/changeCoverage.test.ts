import { describe, expect, it } from 'vitest';
import { checkChange, checkCiCoverage, type ChangeFacts } from '../../src/domain/changeRules.ts';

const now = new Date('2026-11-26T12:00:00Z');
const hours = (h: number) => new Date(now.getTime() + h * 3_600_000);
const group = { id: '0123456789abcdef0123456789abcdef', name: 'Platform Operations' };
const change = (over: Partial<ChangeFacts> = {}): ChangeFacts => ({
  number: 'CHG0012345',
  state: '-1',
  plannedStart: hours(-1),
  plannedEnd: hours(1),
  assignmentGroup: group,
  ...over,
});
const opts = { now, allowedStates: ['implement', 'scheduled'] as ('implement' | 'scheduled')[], graceMinutes: 0 };

describe('checkChange: assignment group (optional)', () => {
  it.each([
    ['off by default, any group', change({ assignmentGroup: { id: null, name: null } }), undefined, true],
    ['off with an empty list', change({ assignmentGroup: { id: null, name: null } }), [], true],
    ['matches by name, case-insensitive', change(), ['platform operations'], true],
    ['matches by sys_id', change(), [group.id], true],
    ['matches one of several', change(), ['DBA', 'Platform Operations'], true],
    ['refuses another group', change(), ['DBA'], false],
    ['refuses a change without a group', change({ assignmentGroup: { id: null, name: null } }), ['Platform Operations'], false],
    ['refuses when the group is unknown', change({ assignmentGroup: undefined }), ['Platform Operations'], false],
  ])('%s', (_name, facts, groups, ok) => {
    const verdict = checkChange(facts, { ...opts, ...(groups ? { requiredAssignmentGroups: groups } : {}) });
    expect(verdict.ok).toBe(ok);
    if (!verdict.ok) {
      expect(verdict.code).toBe('change_wrong_group');
      expect(verdict.message).toMatch(/ServiceNow, then resubmit/u);
    }
  });

  it('checks state and window before the group', () => {
    expect(checkChange(change({ state: '3' }), { ...opts, requiredAssignmentGroups: ['DBA'] })).toMatchObject({
      code: 'change_wrong_state',
    });
  });
});

describe('checkCiCoverage', () => {
  const cis = ['web-01.example.com', 'i-0abc1234', 'DB-01', 'ip-10-0-0-1.us-east-1.compute.internal'];
  it.each([
    ['by instance id', [{ instanceId: 'i-0abc1234', computerName: null }], true],
    ['by instance id, case-insensitive', [{ instanceId: 'i-0ABC1234', computerName: null }], true],
    ['by exact host name', [{ instanceId: 'i-1', computerName: 'web-01.example.com' }], true],
    ['a short host name against a FQDN CI', [{ instanceId: 'i-1', computerName: 'web-01' }], true],
    ['a FQDN host name against a short CI, any case', [{ instanceId: 'i-1', computerName: 'db-01.corp.local' }], true],
    ['not two different FQDNs sharing a first label', [{ instanceId: 'i-9', computerName: 'web-01.other.example.org' }], false],
    ['not EC2 default names from another region', [{ instanceId: 'i-9', computerName: 'ip-10-0-0-1.us-west-2.compute.internal' }], false],
    [
      'every target covered',
      [
        { instanceId: 'i-0abc1234', computerName: null },
        { instanceId: 'i-2', computerName: 'web-01' },
      ],
      true,
    ],
    [
      'one target not covered',
      [
        { instanceId: 'i-0abc1234', computerName: null },
        { instanceId: 'i-9', computerName: 'app-07' },
      ],
      false,
    ],
    ['no host name and not listed', [{ instanceId: 'i-9', computerName: null }], false],
    ['no targets is trivially covered', [], true],
  ])('%s', (_name, targets, ok) => {
    const verdict = checkCiCoverage('CHG0012345', targets, cis);
    expect(verdict.ok).toBe(ok);
    if (!verdict.ok) {
      expect(verdict.code).toBe('change_ci_not_covered');
      expect(verdict.message).toContain('i-9');
      expect(verdict.message).not.toContain('i-0abc1234');
      expect(verdict.message).toMatch(/Add them to the change in ServiceNow/u);
    }
  });

  it('refuses everything when the change lists no CI', () => {
    expect(checkCiCoverage('CHG0012345', [{ instanceId: 'i-1', computerName: 'web-01' }], [])).toMatchObject({
      ok: false,
      code: 'change_ci_not_covered',
    });
  });

  it('names at most ten uncovered instances', () => {
    const targets = Array.from({ length: 25 }, (_, i) => ({ instanceId: `i-${String(i).padStart(8, '0')}`, computerName: null }));
    const verdict = checkCiCoverage('CHG0012345', targets, []);
    expect(verdict.ok).toBe(false);
    if (!verdict.ok) expect(verdict.message).toContain('and 15 more');
  });
});

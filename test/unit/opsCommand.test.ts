import { describe, expect, it } from 'vitest';
import { combineNotifiers } from '../../src/notify/combineNotifiers.ts';
import type { RunNotifier } from '../../src/domain/runNotifier.ts';
import { workNoteText } from '../../src/domain/workNoteText.ts';
import { faultAudience } from '../../src/slack/faultAudience.ts';
import { parseOpsCommand } from '../../src/slack/listeners/commands/parseOpsCommand.ts';

describe('parseOpsCommand', () => {
  it.each([
    ['', { kind: 'help' }],
    ['help', { kind: 'help' }],
    ['history', { kind: 'history', limit: 10 }],
    ['history 3', { kind: 'history', limit: 3 }],
    ['HISTORY 500', { kind: 'history', limit: 25 }],
    ['show 1a2b3c4d', { kind: 'show', runRef: '1a2b3c4d' }],
    ['show `1A2B3C4D-0000-4000-8000-000000000000`', { kind: 'show', runRef: '1a2b3c4d-0000-4000-8000-000000000000' }],
    ['cancel 1a2b3c4d', { kind: 'cancel', runRef: '1a2b3c4d' }],
    ['freeze', { kind: 'freeze_status' }],
    ['freeze on  holiday   change freeze', { kind: 'freeze_on', reason: 'holiday change freeze' }],
    ['freeze OFF', { kind: 'freeze_off' }],
  ])('%j', (text, expected) => {
    expect(parseOpsCommand(text)).toEqual(expected);
  });
  it.each([
    ['history x', /not a number/u],
    ['history 0', /not a number/u],
    ['show', /Give a run id/u],
    ['show 12', /Give a run id/u],
    ['cancel zzzzzzzz', /Give a run id/u],
    ['freeze on', /Say why/u],
    ['freeze maybe', /freeze on <reason>/u],
    ['deploy everything', /not an \/ops command/u],
  ])('explains %j', (text, problem) => {
    const parsed = parseOpsCommand(text);
    expect(parsed.kind).toBe('help');
    if (parsed.kind === 'help') expect(parsed.problem).toMatch(problem);
  });
});

describe('faultAudience', () => {
  it.each([
    ['a slash command', { user_id: 'U1', channel_id: 'C1', command: '/ops' }, { user: 'U1', channel: 'C1' }],
    ['a button in a message', { type: 'block_actions', user: { id: 'U1' }, channel: { id: 'C1' } }, { user: 'U1', channel: 'C1' }],
    [
      'a button in a message (container only)',
      { type: 'block_actions', user: { id: 'U1' }, container: { channel_id: 'C2' } },
      { user: 'U1', channel: 'C2' },
    ],
    ['a modal submission', { type: 'view_submission', user: { id: 'U1' }, view: {} }, { user: 'U1' }],
    ['an event', { type: 'event_callback', event: { type: 'app_home_opened', user: 'U1' } }, { user: 'U1' }],
    ['nothing usable', { type: 'url_verification' }, undefined],
  ])('%s', (_name, body, expected) => {
    expect(faultAudience(body)).toEqual(expected);
  });
});

describe('workNoteText', () => {
  const facts = {
    runId: 'r-1',
    tool: 'qc-prep',
    toolTitle: 'Linux QC',
    action: 'initial-qc',
    actionTitle: 'Initial QC',
    requester: 'Alice (U0A)',
    approvers: ['Bob (U0B)'],
    targetCount: 4,
    scriptSha256: 'f'.repeat(64),
    threadLink: 'https://fake.slack/archives/C1/p1',
  };
  it('says who, what and where when a run starts', () => {
    const text = workNoteText({ ...facts, kind: 'started' });
    expect(text.split('\n')[0]).toBe('[pcm-ops] Run r-1 started');
    for (const part of [
      'Linux QC (qc-prep)',
      'Initial QC (initial-qc)',
      'Alice (U0A)',
      'Bob (U0B)',
      'Targets: 4',
      'f'.repeat(64),
      'https://fake.slack/archives/C1/p1',
    ]) {
      expect(text).toContain(part);
    }
  });
  it('gives the outcome and the counts per status when it ends', () => {
    const text = workNoteText({
      ...facts,
      kind: 'finished',
      status: 'partially_failed',
      counts: { success: 3, failed: 1, timed_out: 0 },
      threadLink: null,
    });
    expect(text).toContain('finished: partially failed');
    expect(text).toContain('Results: failed 1, success 3 (of 4 instance(s))');
    expect(text).not.toContain('timed out');
    expect(text).toContain('Slack thread: not available');
  });
});

describe('combineNotifiers', () => {
  it('calls every notifier even when one throws, and never throws itself', async () => {
    const calls: string[] = [];
    const failing: RunNotifier = {
      runStarted: async () => {
        throw new Error('boom');
      },
      runProgress: async () => {
        throw new Error('boom');
      },
      runFinished: async () => {
        throw new Error('boom');
      },
      runNote: async () => {
        throw new Error('boom');
      },
    };
    const recording: RunNotifier = {
      runStarted: async ({ runId }) => {
        calls.push(`started ${runId}`);
      },
      runProgress: async ({ runId }, _c, total) => {
        calls.push(`progress ${runId} ${total}`);
      },
      runFinished: async ({ runId }, status) => {
        calls.push(`finished ${runId} ${status}`);
      },
      runNote: async ({ runId }, text) => {
        calls.push(`note ${runId} ${text}`);
      },
    };
    const both = combineNotifiers(failing, recording);
    await both.runStarted({ runId: 'a' });
    await both.runProgress({ runId: 'a' }, {}, 3);
    await both.runNote({ runId: 'a' }, 'hi');
    await both.runFinished({ runId: 'a' }, 'succeeded', {}, []);
    expect(calls).toEqual(['started a', 'progress a 3', 'note a hi', 'finished a succeeded']);
  });
});

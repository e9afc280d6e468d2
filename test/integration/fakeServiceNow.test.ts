// The fake ServiceNow Table API through plain fetch: auth, lookups, work notes, faults.
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { changeInWindow, formatServiceNowDate, sysIdFor } from '../../src/sandbox/servicenow/changeInWindow.ts';
import { startFakeServiceNow } from '../../src/sandbox/servicenow/startFakeServiceNow.ts';
import type { FakeServiceNow } from '../../src/sandbox/servicenow/startFakeServiceNow.ts';

let sn: FakeServiceNow;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
const get = (path: string, authorization = basic(sn.user, sn.password)) =>
  fetch(`${sn.url}${path}`, { headers: { Accept: 'application/json', Authorization: authorization } });
const byNumber = (number: string, extra = '') => `/api/now/table/change_request?sysparm_query=number=${number}&sysparm_limit=1${extra}`;

beforeAll(async () => {
  sn = await startFakeServiceNow({
    user: 'pcm.bot',
    password: 'pw',
    oauth: { clientId: 'client', clientSecret: 'secret' },
    changes: [
      changeInWindow('CHG0012345', { change: { cmdb_ci: { value: sysIdFor('ci:web-01'), display_value: 'web-01' } } }),
      { number: 'CHG0000002', state: '-2', start_date: '2026-11-26 05:00:00', end_date: '2026-11-26 07:00:00', assignment_group: '' },
    ],
    cis: { CHG0012345: ['web-01', 'web-02'] },
  });
});
afterAll(async () => sn.close());
afterEach(() => sn.setMode('up'));

describe('fake ServiceNow', () => {
  it('looks up a change by number with ServiceNow field shapes', async () => {
    const res = await get(byNumber('CHG0012345'));
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json;charset=UTF-8');
    const { result } = (await res.json()) as { result: Record<string, unknown>[] };
    expect(result).toHaveLength(1);
    const change = result[0]!;
    expect(change).toMatchObject({ sys_id: sysIdFor('CHG0012345'), number: 'CHG0012345', state: '-1', type: 'normal' });
    expect(change['start_date']).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d$/);
    expect(change['assignment_group']).toEqual({
      link: expect.stringContaining('/api/now/table/sys_user_group/'),
      value: expect.stringMatching(/^[0-9a-f]{32}$/),
    });

    const other = ((await (await get(byNumber('CHG0000002'))).json()) as { result: Record<string, unknown>[] }).result[0];
    expect(other).toMatchObject({ state: '-2', assignment_group: '', start_date: '2026-11-26 05:00:00' });

    expect(await (await get(byNumber('CHG9999999'))).json()).toEqual({ result: [] });
    const fields = await (
      await get(byNumber('chg0012345', '&sysparm_fields=number,state,assignment_group.name&sysparm_display_value=true'))
    ).json();
    expect(fields).toEqual({ result: [{ number: 'CHG0012345', state: 'Implement', 'assignment_group.name': 'Platform Operations' }] });
    const both = (await (
      await get(`/api/now/table/change_request?sysparm_query=number=CHG0012345^sys_id=${sysIdFor('CHG0012345')}`)
    ).json()) as { result: unknown[] };
    expect(both.result).toHaveLength(1);
    expect((await get('/api/now/table/change_request?sysparm_query=numberLIKE123')).status).toBe(400);
  });

  it('gets by sys_id, lists affected CIs and appends work notes', async () => {
    const sysId = sysIdFor('CHG0012345');
    const one = (await (await get(`/api/now/table/change_request/${sysId}`)).json()) as { result: Record<string, unknown> };
    expect(one.result['number']).toBe('CHG0012345');
    expect((await get(`/api/now/table/change_request/${'0'.repeat(32)}`)).status).toBe(404);

    const cis = (await (await get(`/api/now/table/task_ci?sysparm_query=task=${sysId}&sysparm_display_value=all`)).json()) as {
      result: { ci_item: Record<string, string> }[];
    };
    expect(cis.result.map((r) => r.ci_item['display_value'])).toEqual(['web-01', 'web-02']);
    expect(cis.result[0]?.ci_item['value']).toBe(sysIdFor('ci:web-01'));

    for (const note of ['Run 7 started by alice, approved by bob', 'Run 7 succeeded on 2 of 2 instances']) {
      const res = await fetch(`${sn.url}/api/now/table/change_request/${sysId}`, {
        method: 'PATCH',
        headers: { Authorization: basic('pcm.bot', 'pw'), 'Content-Type': 'application/json', Accept: 'application/json' },
        body: JSON.stringify({ work_notes: note }),
      });
      expect(res.status).toBe(200);
      expect(((await res.json()) as { result: Record<string, unknown> }).result).toMatchObject({ number: 'CHG0012345', work_notes: '' });
    }
    expect(sn.workNotes('CHG0012345')).toEqual(['Run 7 started by alice, approved by bob', 'Run 7 succeeded on 2 of 2 instances']);
    expect(sn.change('CHG0012345')?.workNotes[0]?.by).toBe('pcm.bot');
    expect(sn.calls.at(-1)).toMatchObject({
      method: 'PATCH',
      auth: 'basic',
      status: 200,
      body: { work_notes: 'Run 7 succeeded on 2 of 2 instances' },
    });
  });

  it('requires basic auth or an OAuth bearer token', async () => {
    const refused = await get(byNumber('CHG0012345'), basic('pcm.bot', 'wrong'));
    expect(refused.status).toBe(401);
    expect(await refused.json()).toEqual({
      error: { message: 'User Not Authenticated', detail: 'Required to provide Auth information' },
      status: 'failure',
    });
    expect((await fetch(`${sn.url}${byNumber('CHG0012345')}`)).status).toBe(401);

    const tokenRequest = (secret: string) =>
      fetch(`${sn.url}/oauth_token.do`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ grant_type: 'client_credentials', client_id: 'client', client_secret: secret }),
      });
    expect((await tokenRequest('nope')).status).toBe(401);
    const token = (await (await tokenRequest('secret')).json()) as { access_token: string; token_type: string; expires_in: number };
    expect(token).toMatchObject({ token_type: 'Bearer', expires_in: 1799 });
    expect((await get(byNumber('CHG0012345'), `Bearer ${token.access_token}`)).status).toBe(200);
    expect((await get(byNumber('CHG0012345'), 'Bearer forged')).status).toBe(401);
    sn.expireTokens();
    expect((await get(byNumber('CHG0012345'), `Bearer ${token.access_token}`)).status).toBe(401);
    expect(sn.calls.find((c) => c.path === '/oauth_token.do')?.body).toMatchObject({ client_secret: '[redacted]' });
  });

  it('goes down, answers garbage, is slow and rate limits', async () => {
    sn.setMode('down');
    const down = await get(byNumber('CHG0012345'));
    expect(down.status).toBe(503);
    expect(down.headers.get('content-type')).toContain('text/html');

    sn.setMode('malformed');
    const truncated = await get(byNumber('CHG0012345'));
    expect(truncated.status).toBe(200);
    await expect(truncated.json()).rejects.toThrow(SyntaxError);
    sn.setMode('malformed', { malformed: 'wrong-shape' });
    expect(((await (await get(byNumber('CHG0012345'))).json()) as { result: unknown }).result).not.toBeInstanceOf(Array);
    sn.setMode('malformed', { malformed: 'html' });
    expect((await get(byNumber('CHG0012345'))).headers.get('content-type')).toContain('text/html');

    sn.setMode('slow', { slowMs: 300 });
    const started = Date.now();
    expect((await get(byNumber('CHG0012345'))).status).toBe(200);
    expect(Date.now() - started).toBeGreaterThanOrEqual(290);
    await expect(
      fetch(`${sn.url}${byNumber('CHG0012345')}`, { headers: { Authorization: basic('pcm.bot', 'pw') }, signal: AbortSignal.timeout(50) }),
    ).rejects.toThrow();

    sn.setMode('up');
    sn.rateLimitNext(2, 30);
    const limited = await get(byNumber('CHG0012345'));
    expect(limited.status).toBe(429);
    expect(limited.headers.get('retry-after')).toBe('30');
    expect(limited.headers.get('x-ratelimit-remaining')).toBe('0');
    expect(Number(limited.headers.get('x-ratelimit-reset'))).toBeGreaterThan(Date.now() / 1000);
    expect(limited.headers.get('x-ratelimit-limit')).toBe('100');
    expect((await get(byNumber('CHG0012345'))).status).toBe(429);
    expect((await get(byNumber('CHG0012345'))).status).toBe(200);
  });

  it('builds changes whose window contains now', () => {
    const now = new Date('2026-11-26T05:30:00Z');
    expect(changeInWindow('CHG1', { now, hoursBefore: 0.5, hoursAfter: 2 })).toMatchObject({
      start_date: '2026-11-26 05:00:00',
      end_date: '2026-11-26 07:30:00',
      state: '-1',
    });
    expect(formatServiceNowDate(now)).toBe('2026-11-26 05:30:00');
    sn.setChange(changeInWindow('CHG0012345', { state: '3' }));
    expect(sn.change('CHG0012345')?.state).toBe('3');
    expect(sn.workNotes('CHG0012345')).toHaveLength(2); // notes survive replacing the change
  });
});

// The ServiceNow client against the fake ServiceNow over HTTP: both auth modes and every fault mode.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createServiceNowClient, ServiceNowError, type ServiceNowClientOptions } from '../../src/changes/serviceNowClient.ts';
import { changeInWindow, sysIdFor } from '../../src/sandbox/servicenow/changeInWindow.ts';
import { startFakeServiceNow, type FakeServiceNow } from '../../src/sandbox/servicenow/startFakeServiceNow.ts';

const CHANGE = 'CHG0012345';
let sn: FakeServiceNow;

beforeAll(async () => {
  sn = await startFakeServiceNow({
    user: 'pcm.bot',
    password: 'pw',
    oauth: { clientId: 'client', clientSecret: 'secret', tokenTtlSeconds: 600 },
    changes: [changeInWindow(CHANGE, { change: { cis: ['web-01', 'i-0abc1234'] } })],
    slowMs: 1_000,
  });
});
afterAll(async () => sn.close());
beforeEach(() => {
  sn.setMode('up');
  sn.calls.length = 0;
});

const basic = (over: Partial<ServiceNowClientOptions> = {}) =>
  createServiceNowClient({ url: sn.url, auth: { kind: 'basic', user: 'pcm.bot', password: 'pw' }, timeoutMs: 2_000, ...over });
const oauth = (over: Partial<ServiceNowClientOptions> = {}) =>
  createServiceNowClient({
    url: `${sn.url}/`,
    auth: { kind: 'oauth', clientId: 'client', clientSecret: 'secret' },
    timeoutMs: 2_000,
    ...over,
  });

const failure = async (p: Promise<unknown>): Promise<ServiceNowError> => {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ServiceNowError);
  return error as ServiceNowError;
};
const tableCalls = () => sn.calls.filter((c) => c.path.startsWith('/api/now/table/'));
const tokenCalls = () => sn.calls.filter((c) => c.path === '/oauth_token.do');

describe('ServiceNow client: basic auth', () => {
  it('reads a change with its window, state and assignment group', async () => {
    const change = await basic().getChange(CHANGE);
    expect(change).toMatchObject({ sysId: sysIdFor(CHANGE), number: CHANGE, state: '-1', assignmentGroupName: 'Platform Operations' });
    expect(change?.assignmentGroup).toMatch(/^[0-9a-f]{32}$/u);
    expect(change?.plannedStart?.getTime()).toBeLessThan(Date.now());
    expect(change?.plannedEnd?.getTime()).toBeGreaterThan(Date.now());
    expect(tableCalls()[0]).toMatchObject({ auth: 'basic', status: 200 });
  });

  it('answers null for a change that does not exist', async () => {
    expect(await basic().getChange('CHG9999999')).toBeNull();
  });

  it('lists affected CIs and writes work notes', async () => {
    const client = basic();
    expect(await client.getAffectedCis(sysIdFor(CHANGE))).toEqual(['web-01', 'i-0abc1234']);
    await client.addWorkNote(sysIdFor(CHANGE), 'hello from the test');
    expect(sn.workNotes(CHANGE).at(-1)).toBe('hello from the test');
  });

  it('a wrong password is an auth error, not retried', async () => {
    const error = await failure(basic({ auth: { kind: 'basic', user: 'pcm.bot', password: 'nope' } }).getChange(CHANGE));
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/HTTP 401/u);
    expect(tableCalls()).toHaveLength(1);
  });
});

describe('ServiceNow client: OAuth client credentials', () => {
  it('gets a token once and reuses it until it expires', async () => {
    let clock = Date.now();
    const client = oauth({ now: () => clock });
    await client.getChange(CHANGE);
    await Promise.all([client.getChange(CHANGE), client.getChange(CHANGE), client.getAffectedCis(sysIdFor(CHANGE))]);
    expect(tokenCalls()).toHaveLength(1);
    expect(tokenCalls()[0]?.body).toMatchObject({ grant_type: 'client_credentials', client_id: 'client', client_secret: '[redacted]' });
    expect(tableCalls().every((c) => c.auth === 'bearer' && c.status === 200)).toBe(true);

    clock += 600_000; // past expires_in: a new token before the next call
    await client.getChange(CHANGE);
    expect(tokenCalls()).toHaveLength(2);
  });

  it('fetches a new token when the instance no longer accepts the cached one', async () => {
    const client = oauth();
    await client.getChange(CHANGE);
    sn.expireTokens();
    expect(await client.getChange(CHANGE)).toMatchObject({ number: CHANGE });
    expect(tokenCalls()).toHaveLength(2);
    expect(tableCalls().map((c) => c.status)).toEqual([200, 401, 200]);
  });

  it('wrong client credentials are an auth error', async () => {
    const error = await failure(oauth({ auth: { kind: 'oauth', clientId: 'client', clientSecret: 'wrong' } }).getChange(CHANGE));
    expect(error.kind).toBe('auth');
    expect(error.message).toMatch(/OAuth client credentials/u);
    expect(tableCalls()).toHaveLength(0);
  });
});

describe('ServiceNow client: faults are errors, never answers', () => {
  it('down (503 page): retried, then unavailable', async () => {
    sn.setMode('down');
    const error = await failure(basic({ attempts: 2 }).getChange(CHANGE));
    expect(error.kind).toBe('unavailable');
    expect(error.message).toMatch(/HTTP 503/u);
    expect(tableCalls()).toHaveLength(2);
  });

  it('down for OAuth too: the token request fails the same way', async () => {
    sn.setMode('down');
    expect((await failure(oauth({ attempts: 1 }).getChange(CHANGE))).kind).toBe('unavailable');
  });

  it.each(['not-json', 'wrong-shape', 'html'] as const)('malformed (%s)', async (variant) => {
    sn.setMode('malformed', { malformed: variant });
    const error = await failure(basic().getChange(CHANGE));
    expect(error.kind).toBe('malformed');
  });

  it('slow beyond the timeout', async () => {
    sn.setMode('slow', { slowMs: 1_000 });
    const error = await failure(basic({ timeoutMs: 150, attempts: 2 }).getChange(CHANGE));
    expect(error.kind).toBe('timeout');
    expect(error.message).toMatch(/did not answer within 0\.2 s/u);
  });

  it('429 with Retry-After: waits as asked, then succeeds', async () => {
    sn.rateLimitNext(1, 1);
    expect(await basic().getChange(CHANGE)).toMatchObject({ number: CHANGE });
    expect(tableCalls().map((c) => c.status)).toEqual([429, 200]);
  });

  it('429 asking for a longer wait than allowed: gives up at once with the reason', async () => {
    sn.rateLimitNext(1, 120);
    const error = await failure(basic({ maxRetryAfterMs: 5_000 }).getChange(CHANGE));
    expect(error.kind).toBe('rate_limited');
    expect(error.message).toMatch(/asked to wait 120 s/u);
    expect(tableCalls()).toHaveLength(1);
  });

  it('unreachable (nothing listening)', async () => {
    const error = await failure(
      createServiceNowClient({
        url: 'http://127.0.0.1:9',
        auth: { kind: 'basic', user: 'u', password: 'p' },
        timeoutMs: 500,
        attempts: 1,
      }).getChange(CHANGE),
    );
    expect(error.kind).toBe('unreachable');
  });
});

/** A one-off HTTP server on 127.0.0.1 that records what it was asked. */
const startServer = async (handler: (req: IncomingMessage, res: ServerResponse) => void | Promise<void>) => {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    requests.push(`${req.method ?? '?'} ${req.url ?? '?'}`);
    void handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
};

describe('ServiceNow client: redirects, huge answers and clear-text URLs are refused', () => {
  // The redirect points at the real (fake) instance: following it would work, and would hand it the secret.
  const redirector = () =>
    startServer((req, res) => {
      res.writeHead(307, { location: `${sn.url}${req.url ?? '/'}` });
      res.end();
    });

  it('a 307 on the OAuth token endpoint: refused, the client secret is not re-sent anywhere', async () => {
    const hop = await redirector();
    try {
      const error = await failure(oauth({ url: hop.url }).getChange(CHANGE));
      expect(error.kind).toBe('redirect');
      expect(error.message).toMatch(/redirect \(HTTP 307\)/u);
      expect(hop.requests).toEqual(['POST /oauth_token.do']);
      expect(sn.calls).toHaveLength(0);
    } finally {
      await hop.close();
    }
  });

  it('a 307 on the Table API: refused, the credentials are not re-sent anywhere', async () => {
    const hop = await redirector();
    try {
      const error = await failure(basic({ url: hop.url }).getChange(CHANGE));
      expect(error.kind).toBe('redirect');
      expect(hop.requests).toHaveLength(1);
      expect(sn.calls).toHaveLength(0);
      // A work note (PATCH) is not re-sent either.
      expect((await failure(basic({ url: hop.url }).addWorkNote(sysIdFor(CHANGE), 'note'))).kind).toBe('redirect');
      expect(sn.calls).toHaveLength(0);
    } finally {
      await hop.close();
    }
  });

  it('a 120 MB answer (streamed, no length): refused without reading it all', async () => {
    const total = 120 * 1024 * 1024;
    const chunk = Buffer.alloc(64 * 1024, 'x');
    let written = 0;
    let closed: Promise<void> = Promise.resolve();
    const huge = await startServer(async (_req, res) => {
      closed = new Promise((resolve) => res.once('close', resolve));
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"result":[{"short_description":"');
      while (written < total && !res.destroyed) {
        written += chunk.length;
        if (res.write(chunk)) continue;
        await new Promise<void>((resolve) => {
          const go = () => {
            res.off('drain', go).off('close', go);
            resolve();
          };
          res.once('drain', go).once('close', go);
        });
      }
      res.end('"}]}');
    });
    try {
      const error = await failure(basic({ url: huge.url, timeoutMs: 60_000 }).getChange(CHANGE));
      expect(error.kind).toBe('too_large');
      expect(error.message).toMatch(/larger than 5242880 bytes/u);
      await closed;
      expect(written).toBeLessThan(total / 4);
    } finally {
      await huge.close();
    }
  });

  it('an answer announcing a huge Content-Length is refused before reading', async () => {
    const huge = await startServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(120 * 1024 * 1024) });
      res.write('{"result":[');
    });
    try {
      expect((await failure(basic({ url: huge.url }).getChange(CHANGE))).kind).toBe('too_large');
    } finally {
      await huge.close();
    }
  });

  it('an http:// URL to a remote host is refused; http:// to a loopback host is fine', () => {
    expect(() => basic({ url: 'http://servicenow.example.com' })).toThrow(/must be https:\/\//u);
    expect(() => basic({ url: 'http://10.1.2.3:8080' })).toThrow(/must be https:\/\//u);
    expect(() => basic({ url: 'https://servicenow.example.com' })).not.toThrow();
    expect(sn.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/u);
  });

  it('http://127.0.0.1:<port> works end to end', async () => {
    expect(await basic({ url: sn.url }).getChange(CHANGE)).toMatchObject({ number: CHANGE });
  });
});

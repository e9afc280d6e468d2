// A fake ServiceNow Table API (change_request, task_ci) with basic/OAuth auth and fault modes.
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { formatServiceNowDate, sysIdFor } from './changeInWindow.ts';
import type {
  FakeChange,
  FakeServiceNowOptions,
  MalformedVariant,
  RecordedRequest,
  ServiceNowMode,
  StoredChange,
} from './fakeServiceNowTypes.ts';
import { changeRow, matches, parseQuery, renderRow, taskCiRows } from './tableRecords.ts';
import type { DisplayMode, QueryTerm, Row } from './tableRecords.ts';

const JSON_TYPE = 'application/json;charset=UTF-8';
const TABLES = new Set(['change_request', 'task_ci']);
// Fields a PATCH may change; others are ignored like ServiceNow ignores unknown fields.
const WRITABLE = ['state', 'short_description', 'start_date', 'end_date', 'type'] as const;

const failure = (message: string, detail: string | null = null) => ({ error: { message, detail }, status: 'failure' });
const NOT_AUTHENTICATED = failure('User Not Authenticated', 'Required to provide Auth information');
const DOWN_PAGE =
  '<html><head><title>Service Unavailable</title></head><body><h1>Service Unavailable</h1><p>The instance is temporarily unavailable.</p></body></html>';
const LOGIN_PAGE =
  '<!DOCTYPE html><html><head><title>Log in | ServiceNow</title></head><body><form action="login.do" method="post"></form></body></html>';

interface Answer {
  status: number;
  body: string;
  headers?: Record<string, string>;
}

const json = (status: number, body: unknown, headers: Record<string, string> = {}): Answer => ({
  status,
  body: JSON.stringify(body),
  headers: { 'content-type': JSON_TYPE, ...headers },
});

function store(c: FakeChange, existing?: StoredChange): StoredChange {
  const now = formatServiceNowDate(new Date());
  return {
    sys_id: c.sys_id ?? existing?.sys_id ?? sysIdFor(c.number),
    number: c.number,
    state: c.state ?? '-1',
    start_date: c.start_date ?? '',
    end_date: c.end_date ?? '',
    assignment_group: c.assignment_group ?? '',
    short_description: c.short_description ?? '',
    type: c.type ?? 'normal',
    cmdb_ci: c.cmdb_ci ?? '',
    cis: [...(c.cis ?? [])],
    fields: { ...c.fields },
    workNotes: existing?.workNotes ?? [],
    sys_created_on: existing?.sys_created_on ?? now,
    sys_updated_on: now,
  };
}

export class FakeServiceNow {
  /** Instance base URL, e.g. http://127.0.0.1:54321 (paths: /api/now/table/…, /oauth_token.do). */
  readonly url: string;
  readonly calls: RecordedRequest[] = [];
  readonly #server: Server;
  readonly #changes = new Map<string, StoredChange>();
  readonly #tokens = new Map<string, number>();
  readonly #issued: string[] = [];
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #options: FakeServiceNowOptions;
  #mode: ServiceNowMode = 'up';
  #malformed: MalformedVariant = 'not-json';
  #slowMs: number;
  #rateLimit = { remaining: 0, retryAfterSeconds: 1 };

  constructor(server: Server, options: FakeServiceNowOptions) {
    this.#server = server;
    this.#options = options;
    this.#slowMs = options.slowMs ?? 2000;
    this.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    for (const c of options.changes ?? []) this.setChange(c);
    for (const [key, names] of Object.entries(options.cis ?? {})) {
      const change = [...this.#changes.values()].find((c) => c.sys_id === key || c.number === key);
      if (!change) throw new Error(`fake ServiceNow: cis given for unknown change ${key}`);
      change.cis.push(...names);
    }
  }

  get user(): string {
    return this.#options.user ?? 'pcm.bot';
  }

  get password(): string {
    return this.#options.password ?? 'pcm-bot-password';
  }

  /** Adds or replaces a change (by number); its work notes survive a replacement. */
  setChange(change: FakeChange): StoredChange {
    const stored = store(change, this.#changes.get(change.number));
    this.#changes.set(change.number, stored);
    return stored;
  }

  change(number: string): StoredChange | undefined {
    return this.#changes.get(number);
  }

  workNotes(number: string): string[] {
    return this.#changes.get(number)?.workNotes.map((n) => n.value) ?? [];
  }

  /** up; down (503 HTML); malformed (200, unusable body); slow (answers after slowMs). */
  setMode(mode: ServiceNowMode, options: { slowMs?: number; malformed?: MalformedVariant } = {}): void {
    this.#mode = mode;
    if (options.slowMs !== undefined) this.#slowMs = options.slowMs;
    if (options.malformed !== undefined) this.#malformed = options.malformed;
  }

  /** The next `n` Table API requests get 429 with Retry-After and X-RateLimit-* headers. */
  rateLimitNext(n: number, retryAfterSeconds = 1): void {
    this.#rateLimit = { remaining: n, retryAfterSeconds };
  }

  /** Every OAuth access token issued so far (tests check that none of them leaks). */
  get issuedTokens(): string[] {
    return [...this.#issued];
  }

  /** Invalidates every issued OAuth token (the bot must fetch a new one). */
  expireTokens(): void {
    this.#tokens.clear();
  }

  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }

  /** @internal Called by the HTTP server. */
  async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', this.url);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const mode = this.#mode;
    const auth = this.#authenticate(req);
    const send = (answer: Answer): void => {
      const call: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: Object.fromEntries(url.searchParams),
        auth: auth.kind,
        status: answer.status,
        at: new Date(),
      };
      if (rawBody !== '') call.body = redact(parseBody(req, rawBody));
      this.calls.push(call);
      res.writeHead(answer.status, answer.headers);
      res.end(answer.body);
    };

    if (mode === 'down') return send({ status: 503, body: DOWN_PAGE, headers: { 'content-type': 'text/html;charset=UTF-8' } });
    if (mode === 'slow') await this.#sleep(this.#slowMs);
    if (res.destroyed) return;

    if (url.pathname === '/oauth_token.do' && req.method === 'POST') return send(this.#issueToken(req, rawBody));
    const table = url.pathname.match(/^\/api\/now\/table\/(\w+)(?:\/(\w+))?$/);
    if (!table?.[1]) return send(json(400, failure('Requested URI does not represent any resource')));
    if (auth.kind === 'none' || auth.kind === 'invalid') {
      return send(
        json(
          401,
          NOT_AUTHENTICATED,
          auth.kind === 'none' || auth.scheme === 'basic' ? { 'www-authenticate': 'BASIC realm="Service-now"' } : {},
        ),
      );
    }
    if (this.#rateLimit.remaining > 0) {
      this.#rateLimit.remaining -= 1;
      const retry = this.#rateLimit.retryAfterSeconds;
      return send(
        json(429, failure('Too Many Requests', 'Rate limit exceeded for user'), {
          'retry-after': String(retry),
          'x-ratelimit-limit': '100',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + retry),
          'x-ratelimit-rule': sysIdFor('rate-limit-rule'),
        }),
      );
    }
    if (mode === 'malformed') return send(this.#malformedAnswer());
    send(this.#table(req.method ?? 'GET', table[1], table[2], url.searchParams, req, rawBody, auth.user));
  }

  #sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        resolve();
      }, ms);
      this.#timers.add(timer);
    });
  }

  #authenticate(req: IncomingMessage): { kind: RecordedRequest['auth']; scheme?: 'basic' | 'bearer'; user: string } {
    const header = req.headers.authorization ?? '';
    const basic = header.match(/^Basic\s+(.+)$/i)?.[1];
    if (basic !== undefined) {
      const [user, ...rest] = Buffer.from(basic, 'base64').toString('utf8').split(':');
      const ok = user === this.user && rest.join(':') === this.password;
      return { kind: ok ? 'basic' : 'invalid', scheme: 'basic', user: user ?? '' };
    }
    const bearer = header.match(/^Bearer\s+(.+)$/i)?.[1];
    if (bearer !== undefined) {
      const expires = this.#tokens.get(bearer);
      const ok = expires !== undefined && expires > Date.now();
      return { kind: ok ? 'bearer' : 'invalid', scheme: 'bearer', user: this.user };
    }
    return { kind: 'none', user: '' };
  }

  // POST /oauth_token.do: client_credentials (or password grant) with client id/secret in the form or in Basic auth.
  #issueToken(req: IncomingMessage, rawBody: string): Answer {
    const form = new URLSearchParams(rawBody);
    const basic = req.headers.authorization?.match(/^Basic\s+(.+)$/i)?.[1];
    const [basicId, basicSecret] = basic ? Buffer.from(basic, 'base64').toString('utf8').split(':') : [];
    const clientId = form.get('client_id') ?? basicId;
    const clientSecret = form.get('client_secret') ?? basicSecret;
    const oauth = this.#options.oauth;
    const grant = form.get('grant_type');
    if (grant !== 'client_credentials' && grant !== 'password')
      return json(400, { error_description: 'access_denied', error: 'unsupported_grant_type' });
    const clientOk = oauth !== undefined && clientId === oauth.clientId && clientSecret === oauth.clientSecret;
    const userOk = grant === 'client_credentials' || (form.get('username') === this.user && form.get('password') === this.password);
    if (!clientOk || !userOk) return json(401, { error_description: 'access_denied', error: 'server_error' });
    const ttl = oauth.tokenTtlSeconds ?? 1799;
    const token = randomBytes(32).toString('base64url');
    this.#tokens.set(token, Date.now() + ttl * 1000);
    this.#issued.push(token);
    return json(200, { access_token: token, scope: 'useraccount', token_type: 'Bearer', expires_in: ttl });
  }

  #malformedAnswer(): Answer {
    if (this.#malformed === 'html') return { status: 200, body: LOGIN_PAGE, headers: { 'content-type': 'text/html;charset=UTF-8' } };
    if (this.#malformed === 'wrong-shape') return json(200, { result: { sys_id: 12345, number: null, state: -1, start_date: 'tomorrow' } });
    return { status: 200, body: '{"result":[{"sys_id":"', headers: { 'content-type': JSON_TYPE } };
  }

  #table(
    method: string,
    table: string,
    sysId: string | undefined,
    q: URLSearchParams,
    req: IncomingMessage,
    rawBody: string,
    user: string,
  ): Answer {
    if (!TABLES.has(table)) return json(400, failure(`Invalid table ${table}`));
    const display = (
      ['true', 'all'].includes(q.get('sysparm_display_value') ?? '') ? q.get('sysparm_display_value') : 'false'
    ) as DisplayMode;
    const fields = q
      .get('sysparm_fields')
      ?.split(',')
      .map((f) => f.trim())
      .filter((f) => f !== '');
    const render = (row: Row) =>
      renderRow(row, {
        baseUrl: this.url,
        display,
        excludeLink: q.get('sysparm_exclude_reference_link') === 'true',
        ...(fields ? { fields } : {}),
      });
    const rows = (): { row: Row; change: StoredChange }[] =>
      [...this.#changes.values()].flatMap((change) =>
        table === 'change_request' ? [{ row: changeRow(change), change }] : taskCiRows(change).map((row) => ({ row, change })),
      );

    if (sysId === undefined) {
      if (method !== 'GET') return json(405, failure('Method not Supported', `${method} not supported for this resource`));
      let terms: QueryTerm[];
      try {
        terms = parseQuery(q.get('sysparm_query') ?? '');
      } catch (error) {
        return json(400, failure((error as Error).message));
      }
      const all = rows().filter(({ row }) => matches(row, terms));
      const offset = Number(q.get('sysparm_offset') ?? 0);
      const limit = q.has('sysparm_limit') ? Number(q.get('sysparm_limit')) : 10_000;
      return json(
        200,
        { result: all.slice(offset, offset + limit).map(({ row }) => render(row)) },
        { 'x-total-count': String(all.length) },
      );
    }

    const found = rows().find(({ row }) => row['sys_id'] === sysId);
    if (!found) return json(404, failure('No Record found', "Record doesn't exist or ACL restricts the record retrieval"));
    if (method === 'GET') return json(200, { result: render(found.row) });
    if ((method !== 'PATCH' && method !== 'PUT') || table !== 'change_request')
      return json(405, failure('Method not Supported', `${method} not supported for this resource`));

    const body = parseBody(req, rawBody);
    if (typeof body !== 'object' || body === null || Array.isArray(body))
      return json(400, failure('Exception while reading request', 'The payload is not valid JSON.'));
    const patch = body as Record<string, unknown>;
    const change = found.change;
    if (typeof patch['work_notes'] === 'string' && patch['work_notes'] !== '')
      change.workNotes.push({ value: patch['work_notes'], at: new Date(), by: user });
    for (const key of WRITABLE) if (typeof patch[key] === 'string') change[key] = patch[key];
    change.sys_updated_on = formatServiceNowDate(new Date());
    return json(200, { result: render(changeRow(change)) });
  }
}

function redact(body: unknown): unknown {
  if (typeof body !== 'object' || body === null) return body;
  const copy: Record<string, unknown> = { ...body };
  for (const key of ['client_secret', 'password']) if (key in copy) copy[key] = '[redacted]';
  return copy;
}

function parseBody(req: IncomingMessage, raw: string): unknown {
  if ((req.headers['content-type'] ?? '').includes('application/x-www-form-urlencoded'))
    return Object.fromEntries(new URLSearchParams(raw));
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

export async function startFakeServiceNow(options: FakeServiceNowOptions = {}): Promise<FakeServiceNow> {
  const ref: { fake?: FakeServiceNow } = {}; // the handler needs the instance created after listen()
  const server = createServer((req, res) => {
    ref.fake?.handle(req, res).catch((error: unknown) => {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': JSON_TYPE });
        res.end(JSON.stringify(failure('fake ServiceNow internal error', String(error))));
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  ref.fake = new FakeServiceNow(server, options);
  return ref.fake;
}

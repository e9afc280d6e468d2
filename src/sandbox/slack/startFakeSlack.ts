// A fake Slack Web API on a real HTTP server, for the bot's real WebClient (slackApiUrl = fake.url).
import { createServer } from 'node:http';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  FakeEphemeral,
  FakeFile,
  FakeMessage,
  FakeSlackOptions,
  IssueTriggerOptions,
  RecordedCall,
  ResponseUrlOptions,
  ResponseUrlPost,
  SlackView,
  WaitForOptions,
} from './fakeSlackTypes.ts';
import { handleUpload } from './fileMethods.ts';
import { handleResponseUrlPost } from './handleResponseUrlPost.ts';
import { markupTokens, textsIn, type MarkupToken, type ShownText } from './mrkdwnMarkup.ts';
import { parseWebApiRequest, readBody } from './parseWebApiRequest.ts';
import { SlackState } from './slackState.ts';
import { FakeSlackFiles } from './slackFiles.ts';
import { webApiMethods } from './webApiMethods.ts';
import type { SlackResult } from './webApiMethods.ts';

export class FakeSlack {
  /** Web API base, for `slackApiUrl` (ends with `/api/`). */
  readonly url: string;
  /** Server origin, e.g. http://127.0.0.1:54321 */
  readonly baseUrl: string;
  readonly #state: SlackState;
  readonly #server: Server;
  /** Uploaded files: `files.upload(...)` registers one as a person's file_input upload (slackFiles.ts). */
  readonly files: FakeSlackFiles;

  constructor(server: Server, state: SlackState) {
    const { port } = server.address() as AddressInfo;
    this.#server = server;
    this.#state = state;
    this.baseUrl = `http://127.0.0.1:${port}`;
    this.url = `${this.baseUrl}/api/`;
    this.files = new FakeSlackFiles(state, this.baseUrl);
  }

  get botToken(): string {
    return this.#state.config.botToken;
  }

  get botUserId(): string {
    return this.#state.config.botUserId;
  }

  get teamId(): string {
    return this.#state.config.teamId;
  }

  /** Every Web API call, in arrival order, including refused ones. */
  get calls(): readonly RecordedCall[] {
    return this.#state.calls;
  }

  callsOf(method: string): RecordedCall[] {
    return this.#state.calls.filter((c) => c.method === method);
  }

  /** Current (non-deleted) messages, top-level and replies, in posting order; all channels when omitted. */
  messages(channel?: string): FakeMessage[] {
    return this.#state.messages.filter((m) => !m.deleted && (channel === undefined || m.channel === channel));
  }

  message(channel: string, ts: string): FakeMessage | undefined {
    return this.#state.findMessage(channel, ts);
  }

  /** Replies in the thread under `ts` (without the parent). */
  thread(channel: string, ts: string): FakeMessage[] {
    return this.messages(channel).filter((m) => m.thread_ts === ts && m.ts !== ts);
  }

  /** The DM channel id conversations.open/postMessage use for a user. */
  dmChannelOf(userId: string): string {
    return this.#state.dmChannelFor(userId);
  }

  /** Every file the bot started uploading (completed or not), oldest first. (`files` holds those people uploaded.) */
  botFiles(): FakeFile[] {
    return [...this.#state.files.values()];
  }

  /** Files shared in a channel (and thread, when `threadTs` is given), oldest first. */
  filesIn(channel: string, threadTs?: string): FakeFile[] {
    return this.botFiles().filter((f) =>
      f.shares.some((x) => x.channel === channel && (threadTs === undefined || x.thread_ts === threadTs)),
    );
  }

  /** What a person downloading the file would get (UTF-8), or undefined when nothing was uploaded. */
  fileContent(id: string): string | undefined {
    return this.#state.files.get(id)?.content?.toString('utf8');
  }

  /** Current state of every view (modals and homes) by id. */
  get views(): ReadonlyMap<string, SlackView> {
    return this.#state.views;
  }

  /** Modals opened with a trigger issued for `userId`, oldest first. */
  modalsOf(userId: string): SlackView[] {
    return [...this.#state.views.values()].filter((v) => v.type === 'modal' && this.#state.viewUsers.get(v.id) === userId);
  }

  homeOf(userId: string): SlackView | undefined {
    const id = this.#state.homes.get(userId);
    return id === undefined ? undefined : this.#state.views.get(id);
  }

  ephemerals(user?: string): FakeEphemeral[] {
    return this.#state.ephemerals.filter((e) => user === undefined || e.user === user);
  }

  /** Posts to response URLs (all, or of one URL id: the last path segment). */
  responses(urlId?: string): ResponseUrlPost[] {
    return this.#state.responses.filter((r) => urlId === undefined || r.urlId === urlId);
  }

  /**
   * Everything the bot made people see, as Slack reads it: message and ephemeral `text` (parsed like
   * mrkdwn), every text object of their blocks (earlier versions of updated messages too), response_url
   * posts, modals and App Homes. `views.update`/`views.publish` are read from the calls, so replaced views count.
   */
  shownTexts(): ShownText[] {
    const s = this.#state;
    const out: ShownText[] = [];
    const message = (where: string, m: { text?: string | undefined; blocks?: unknown }) => {
      if (typeof m.text === 'string' && m.text !== '') out.push({ where: `${where}.text`, kind: 'text', text: m.text });
      textsIn(m.blocks, `${where}.blocks`, out);
    };
    for (const m of s.messages) {
      m.history.forEach((h, i) => message(`message ${m.channel}/${m.ts} v${i}`, h));
      message(`message ${m.channel}/${m.ts}`, m);
    }
    for (const e of s.ephemerals) message(`ephemeral ${e.user}`, e);
    for (const r of s.responses) message(`response ${r.urlId}`, r.body as { text?: string; blocks?: unknown });
    for (const c of s.calls) if (c.method.startsWith('views.') && c.ok) textsIn(c.args.view, `${c.method} view`, out);
    return out;
  }

  /** The `<…>` tokens Slack would turn into mentions, pings and links, with where they were shown (plain_text excluded). */
  markup(): (MarkupToken & { where: string })[] {
    return this.shownTexts()
      .filter((t) => t.kind !== 'plain_text')
      .flatMap((t) => markupTokens(t.text).map((token) => ({ ...token, where: t.where })));
  }

  /** A trigger_id views.open/push will accept once, within 3 s (what a click gives the bot). */
  issueTriggerId(options?: IssueTriggerOptions): string {
    return this.#state.issueTriggerId(options);
  }

  /** A fresh response_url on this fake: `${baseUrl}/response/<id>`. */
  responseUrl(options: ResponseUrlOptions = {}): string {
    const id = this.#state.nextResponseUrlId();
    this.#state.responseUrls.set(id, { ...options, uses: 0 });
    return `${this.baseUrl}/response/${id}`;
  }

  setUsergroup(id: string, users: string[]): void {
    this.#state.usergroups.set(id, [...users]);
  }

  /** The next `times` calls of `method` ('*' = any) get HTTP 429 with Retry-After. */
  rateLimit(method: string, { times = 1, retryAfterSeconds = 1 }: { times?: number; retryAfterSeconds?: number } = {}): void {
    this.#state.rateLimits.set(method, { remaining: times, retryAfterSeconds });
  }

  /**
   * The next `times` calls of `method` ('*' = any) answer `{ok:false, error}` (or a bare HTTP `status` when not
   * 200). `applied`: each call takes effect first — Slack accepted it and the answer was lost (a gateway's 5xx).
   */
  failNext(
    method: string,
    error: string,
    { times = 1, status = 200, applied = false }: { times?: number; status?: number; applied?: boolean } = {},
  ): void {
    this.#state.failures.set(method, { remaining: times, error, status, applied });
  }

  /**
   * The next `times` calls of `method` take effect and are never answered (the connection stays open until the
   * fake closes): Slack accepted the call and its caller is left waiting, e.g. to be killed meanwhile.
   */
  stallNext(method: string, { times = 1 }: { times?: number } = {}): void {
    this.#state.stalls.set(method, { remaining: times });
  }

  /** Ends what `failNext` injected for `method` ('*' = the wildcard entry): Slack answers normally again. */
  heal(method: string): void {
    this.#state.failures.delete(method);
  }

  /** Polls until `predicate(this)` returns something truthy and resolves with it. */
  async waitFor<T>(
    predicate: (fake: FakeSlack) => T | undefined | null | false,
    { timeoutMs = 2000, intervalMs = 10 }: WaitForOptions = {},
  ): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const value = predicate(this);
      if (value) return value;
      if (Date.now() > deadline) {
        const recent = this.#state.calls.slice(-10).map((c) => `${c.method} → ${c.ok ? 'ok' : c.error}`);
        throw new Error(`fake Slack: condition not met within ${timeoutMs} ms. Last calls: ${recent.join(', ') || 'none'}`);
      }
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  }

  /** Forgets recorded calls, messages, views, triggers and injected faults; keeps configuration. */
  reset(): void {
    this.#state.reset();
  }

  /** A JSON-friendly dump of the recorded state (used by main.ts's /_fake/state). */
  snapshot(): Record<string, unknown> {
    const s = this.#state;
    const files = [...s.files.values()].map(({ content, ...f }) => ({ ...f, size: content?.length ?? null }));
    return { calls: s.calls, messages: s.messages, ephemerals: s.ephemerals, responses: s.responses, views: [...s.views.values()], files };
  }

  async close(): Promise<void> {
    const closed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#server.closeAllConnections();
    await closed;
  }
}

function takeInjection<T extends { remaining: number }>(map: Map<string, T>, method: string): T | undefined {
  for (const key of [method, '*']) {
    const entry = map.get(key);
    if (entry && entry.remaining > 0) {
      entry.remaining -= 1;
      if (entry.remaining === 0) map.delete(key);
      return entry;
    }
  }
  return undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers });
  res.end(JSON.stringify(body));
}

async function handleWebApi(
  state: SlackState,
  method: string,
  req: IncomingMessage,
  res: ServerResponse,
  query: URLSearchParams,
): Promise<void> {
  const parsed = parseWebApiRequest(req, await readBody(req), query);
  const args = 'args' in parsed ? parsed.args : {};
  const record = (status: number, response: SlackResult): void => {
    const call: RecordedCall = {
      method,
      args,
      at: new Date(),
      contentType: req.headers['content-type'] ?? '',
      status,
      ok: response.ok,
      response,
    };
    if (typeof response['error'] === 'string') call.error = response['error'];
    state.calls.push(call);
  };
  const answer = (response: SlackResult, status = 200, headers: Record<string, string> = {}): void => {
    record(status, response);
    sendJson(res, status, response, headers);
  };

  const handler = webApiMethods[method];
  if ('error' in parsed) return answer({ ok: false, error: parsed.error });
  if (!handler) return answer({ ok: false, error: 'unknown_method', req_method: method });
  if (parsed.token === undefined) return answer({ ok: false, error: 'not_authed' });
  if (parsed.token !== state.config.botToken) return answer({ ok: false, error: 'invalid_auth' });

  const limited = takeInjection(state.rateLimits, method);
  if (limited) return answer({ ok: false, error: 'ratelimited' }, 429, { 'retry-after': String(limited.retryAfterSeconds) });
  const failure = takeInjection(state.failures, method);
  if (failure) {
    if (failure.applied) handler(state, args);
    return answer({ ok: false, error: failure.error }, failure.status);
  }
  if (takeInjection(state.stalls, method)) return record(0, handler(state, args));

  answer(handler(state, args));
}

// Sandbox helpers for main.ts: a human cannot click in a fake Slack, so these stand in for clicks.
function handleControl(fake: FakeSlack, path: string, query: URLSearchParams, res: ServerResponse): void {
  const userId = query.get('user') ?? undefined;
  if (path === '/_fake/state') return sendJson(res, 200, fake.snapshot());
  if (path === '/_fake/trigger_id') return sendJson(res, 200, { trigger_id: fake.issueTriggerId(userId !== undefined ? { userId } : {}) });
  if (path === '/_fake/response_url')
    return sendJson(res, 200, { response_url: fake.responseUrl(userId !== undefined ? { user: userId } : {}) });
  sendJson(res, 404, { ok: false, error: 'not_found' });
}

export async function startFakeSlack(options: FakeSlackOptions = {}): Promise<FakeSlack> {
  const state = new SlackState(options);
  const ref: { fake?: FakeSlack } = {}; // the control endpoints need the instance created after listen()
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const api = url.pathname.match(/^\/api\/([\w.]+)$/);
    const response = url.pathname.match(/^\/response\/(\w+)$/);
    const upload = url.pathname.match(/^\/upload\/v1\/(\w+)$/);
    const work = async (): Promise<void> => {
      if (upload?.[1] !== undefined && req.method === 'POST') {
        const chunks: Buffer[] = [];
        for await (const chunk of req) chunks.push(chunk as Buffer);
        const answer = handleUpload(state, upload[1], Buffer.concat(chunks), req.headers['content-type'] ?? '');
        res.writeHead(answer.status, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(answer.text);
        return;
      }
      if (api?.[1] !== undefined) return handleWebApi(state, api[1], req, res, url.searchParams);
      if (response?.[1] !== undefined && req.method === 'POST') {
        const answer = handleResponseUrlPost(state, response[1], await readBody(req));
        return sendJson(res, answer.status, answer.json);
      }
      if (req.method === 'GET' && ref.fake?.files.serve(req, res, url.pathname)) return;
      if (url.pathname.startsWith('/_fake/') && ref.fake) return handleControl(ref.fake, url.pathname, url.searchParams, res);
      sendJson(res, 404, { ok: false, error: 'not_found' });
    };
    work().catch((error: unknown) => {
      if (!res.headersSent) sendJson(res, 500, { ok: false, error: 'fake_internal_error', detail: String(error) });
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  ref.fake = new FakeSlack(server, state);
  state.baseUrl = ref.fake.baseUrl;
  return ref.fake;
}

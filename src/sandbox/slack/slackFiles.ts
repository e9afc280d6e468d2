// Files people uploaded (the request modal's file_input), as the bot meets them: `files.info` (scope
// files:read) and the private download at url_private(_download), which wants `Authorization: Bearer <token>`
// and, like Slack, answers anything else with a redirect to the sign-in page (an HTML page, status 200).
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { SlackArgs } from './fakeSlackTypes.ts';
import type { SlackState } from './slackState.ts';
import type { SlackResult } from './webApiMethods.ts';

export interface UploadedFileOptions {
  name: string;
  content: string | Buffer;
  /** Slack's `filetype` (txt → "text", csv → "csv"); derived from the name when omitted. */
  filetype?: string;
  /** Who uploaded it. */
  user?: string;
  /** What files.info reports as `size`, when a test wants it to differ from the content (a lying host). */
  reportedSize?: number;
  /** Send the download without Content-Length (chunked), so only counting the bytes bounds it. */
  chunked?: boolean;
}

interface StoredFile {
  id: string;
  name: string;
  filetype: string;
  mimetype: string;
  content: Buffer;
  size: number;
  user: string;
  created: number;
  chunked: boolean;
}

const MIME: Record<string, string> = { text: 'text/plain', csv: 'text/csv' };

/** The bot's granted scopes matter for files only here (the rest of the fake grants everything). */
const DEFAULT_SCOPES = ['files:read'];

export class FakeSlackFiles {
  readonly #state: SlackState;
  readonly #baseUrl: string;
  readonly #files = new Map<string, StoredFile>();
  readonly #scopes = new Set(DEFAULT_SCOPES);
  #next = 1;
  /** The token downloads require (default the bot token): another one simulates a revoked or rotated token. */
  #downloadToken: string | undefined;
  /** Download requests: path, whether the bearer token was right, the status answered. */
  readonly downloads: { path: string; authorized: boolean; status: number }[] = [];

  constructor(state: SlackState, baseUrl: string) {
    this.#state = state;
    this.#baseUrl = baseUrl;
    stores.set(state, this);
  }

  /** Registers a file as if a person uploaded it in a file_input; returns its id (F…). */
  upload(options: UploadedFileOptions): string {
    const id = `F0UPLOAD${String(this.#next++).padStart(4, '0')}`;
    const content = typeof options.content === 'string' ? Buffer.from(options.content, 'utf8') : options.content;
    const ext = options.name.split('.').pop()?.toLowerCase() ?? '';
    const filetype = options.filetype ?? (ext === 'txt' ? 'text' : ext || 'binary');
    this.#files.set(id, {
      id,
      name: options.name,
      filetype,
      mimetype: MIME[filetype] ?? 'application/octet-stream',
      content,
      size: options.reportedSize ?? content.byteLength,
      user: options.user ?? 'U0REQUESTER',
      created: Math.floor(Date.now() / 1000),
      chunked: options.chunked === true,
    });
    return id;
  }

  /** Deletes a file (files.info then answers file_not_found, the download 404). */
  delete(id: string): void {
    this.#files.delete(id);
  }

  /** Takes a scope away from the bot's token (e.g. an app installed before files:read was added). */
  revokeScope(scope: string): void {
    this.#scopes.delete(scope);
  }

  grantScope(scope: string): void {
    this.#scopes.add(scope);
  }

  /** From now on downloads want this bearer token (undefined: the bot's again), so the bot's own is wrong. */
  expectDownloadToken(token: string | undefined): void {
    this.#downloadToken = token;
  }

  /** The file object as files.info and view_submission state carry it. */
  fileObject(id: string): Record<string, unknown> | undefined {
    const f = this.#files.get(id);
    if (!f) return undefined;
    const path = `/files-pri/${this.#state.config.teamId}-${f.id}`;
    return {
      id: f.id,
      created: f.created,
      timestamp: f.created,
      name: f.name,
      title: f.name,
      mimetype: f.mimetype,
      filetype: f.filetype,
      pretty_type: f.filetype === 'csv' ? 'CSV' : 'Plain Text',
      user: f.user,
      user_team: this.#state.config.teamId,
      editable: false,
      size: f.size,
      mode: 'hosted',
      is_external: false,
      is_public: false,
      url_private: `${this.#baseUrl}${path}/${encodeURIComponent(f.name)}`,
      url_private_download: `${this.#baseUrl}${path}/download/${encodeURIComponent(f.name)}`,
      permalink: `${this.#baseUrl}/files/${f.user}/${f.id}/${encodeURIComponent(f.name)}`,
    };
  }

  /** files.info: the file object, or Slack's errors (missing_scope, file_not_found, invalid_arguments). */
  info(args: SlackArgs): SlackResult {
    if (!this.#scopes.has('files:read'))
      return { ok: false, error: 'missing_scope', needed: 'files:read', provided: [...this.#scopes].join(',') };
    const id = typeof args['file'] === 'string' ? args['file'] : undefined;
    if (id === undefined || id === '')
      return { ok: false, error: 'invalid_arguments', response_metadata: { messages: ['[ERROR] missing required field: file'] } };
    const file = this.fileObject(id);
    if (!file) return { ok: false, error: 'file_not_found' };
    return { ok: true, file, comments: [], response_metadata: { next_cursor: '' } };
  }

  /** GET /files-pri/<team>-<id>/[download/]<name>; false when the path is not a file path. */
  serve(req: IncomingMessage, res: ServerResponse, pathname: string): boolean {
    if (pathname === '/signin') {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end('<!DOCTYPE html><html><head><title>Sign in | Slack</title></head><body>Sign in to your workspace</body></html>');
      return true;
    }
    const match = /^\/files-pri\/(T\w+)-(F\w+)\/(?:download\/)?[^/]+$/u.exec(pathname);
    if (!match) return false;
    const authorized = req.headers.authorization === `Bearer ${this.#downloadToken ?? this.#state.config.botToken}`;
    const answer = (status: number, headers: Record<string, string | number>, body?: Buffer | string): void => {
      this.downloads.push({ path: pathname, authorized, status });
      res.writeHead(status, headers);
      res.end(body);
    };
    // Slack: no (valid) token → the sign-in page, by redirect; a client that follows it reads HTML.
    if (!authorized) return (answer(302, { location: `/signin?redir=${encodeURIComponent(pathname)}` }), true);
    const file = match[1] === this.#state.config.teamId ? this.#files.get(match[2] ?? '') : undefined;
    if (!file) return (answer(404, { 'content-type': 'text/plain' }, 'file not found'), true);
    if (!this.#scopes.has('files:read')) return (answer(403, { 'content-type': 'text/plain' }, 'missing scope files:read'), true);
    answer(200, { 'content-type': file.mimetype, ...(file.chunked ? {} : { 'content-length': file.content.byteLength }) }, file.content);
    return true;
  }
}

const stores = new WeakMap<SlackState, FakeSlackFiles>();

/** files.info for the Web API table. */
export const filesInfo = (state: SlackState, args: SlackArgs): SlackResult =>
  stores.get(state)?.info(args) ?? { ok: false, error: 'file_not_found' };

// Slack's external file upload (files.uploadV2's steps), as strict as Slack: files.getUploadURLExternal
// (files:write; filename, length ≥ 1) → one POST of exactly `length` bytes to the single-use, expiring
// upload_url → files.completeUploadExternal (files:write; uploaded ids only, once; channel must exist with the
// bot in it; thread_ts a top-level message there) → the file shows in the channel/thread. files.info (files:read).
import { randomBytes } from 'node:crypto';
import type { FakeFile, SlackArgs } from './fakeSlackTypes.ts';
import type { SlackState } from './slackState.ts';
import type { SlackResult, WebApiMethod } from './webApiMethods.ts';

const MAX_COMMENT_CHARS = 40_000;

const fail = (error: string, extra: Record<string, unknown> = {}): SlackResult => ({ ok: false, error, ...extra });

const str = (args: SlackArgs, key: string): string | undefined => {
  const v = args[key];
  return typeof v === 'string' ? v : typeof v === 'number' ? String(v) : undefined;
};

const missingScope = (s: SlackState, needed: string): SlackResult | undefined =>
  s.config.scopes.has(needed) ? undefined : fail('missing_scope', { needed, provided: [...s.config.scopes].join(',') });

const fileJson = (s: SlackState, f: FakeFile): Record<string, unknown> => {
  const shares: Record<string, Record<string, { ts: string; thread_ts?: string }[]>> = {};
  for (const share of f.shares) {
    const kind = share.channel.startsWith('D') ? 'private' : 'public';
    const bucket = (shares[kind] ??= {});
    (bucket[share.channel] ??= []).push({ ts: share.ts, ...(share.thread_ts ? { thread_ts: share.thread_ts } : {}) });
  }
  const channels = [...new Set(f.shares.map((x) => x.channel))];
  return {
    id: f.id,
    name: f.filename,
    title: f.title ?? f.filename,
    size: f.content?.length ?? 0,
    user: s.config.botUserId,
    channels: channels.filter((c) => c.startsWith('C')),
    groups: channels.filter((c) => c.startsWith('G')),
    ims: channels.filter((c) => c.startsWith('D')),
    shares,
  };
};

export const fileMethods: Record<string, WebApiMethod> = {
  'files.getUploadURLExternal': (s, a) => {
    const scope = missingScope(s, 'files:write');
    if (scope) return scope;
    const filename = str(a, 'filename');
    const length = Number(str(a, 'length'));
    if (filename === undefined || filename === '')
      return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: filename'] } });
    // Slack: "missing_argument … typically only occurs when the length provided is 0".
    if (!Number.isInteger(length) || length < 1) return fail('missing_argument');
    const id = s.nextFileId();
    s.files.set(id, { id, filename, length, completed: false, shares: [] });
    const token = randomBytes(12).toString('hex');
    s.uploadUrls.set(token, { fileId: id, expiresAt: Date.now() + s.config.uploadUrlTtlMs, used: false });
    return { ok: true, upload_url: `${s.baseUrl}/upload/v1/${token}`, file_id: id };
  },

  'files.completeUploadExternal': (s, a) => {
    const scope = missingScope(s, 'files:write');
    if (scope) return scope;
    const files = a['files'];
    if (!Array.isArray(files) || files.length === 0)
      return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] files must be a non-empty array'] } });
    const entries: { file: FakeFile; title?: string }[] = [];
    for (const entry of files as unknown[]) {
      const id = typeof entry === 'object' && entry !== null ? (entry as { id?: unknown }).id : undefined;
      const file = typeof id === 'string' ? s.files.get(id) : undefined;
      // Only an uploaded file can be completed, and only once.
      if (!file || file.content === undefined || file.completed) return fail('file_not_found');
      const title = (entry as { title?: unknown }).title;
      entries.push({ file, ...(typeof title === 'string' ? { title } : {}) });
    }
    const channelArg = str(a, 'channel_id');
    const comment = str(a, 'initial_comment');
    if (comment !== undefined && comment.length > MAX_COMMENT_CHARS) return fail('msg_too_long');
    let share: { channel: string; threadTs?: string } | undefined;
    if (channelArg !== undefined && channelArg !== '') {
      const channel = s.resolveChannel(channelArg);
      if ('error' in channel) return fail(channel.error);
      if (!s.isBotMember(channel.id)) return fail('not_in_channel');
      const threadTs = str(a, 'thread_ts');
      if (threadTs !== undefined && threadTs !== '') {
        const parent = s.findMessage(channel.id, threadTs);
        // "Never use a reply's ts value; use its parent instead."
        if (!parent || (parent.thread_ts !== undefined && parent.thread_ts !== parent.ts)) return fail('invalid_thread_ts');
      }
      share = { channel: channel.id, ...(threadTs ? { threadTs } : {}) };
    } else if (str(a, 'thread_ts') !== undefined)
      return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] thread_ts needs channel_id'] } });
    for (const { file, title } of entries) {
      file.completed = true;
      if (title !== undefined) file.title = title;
    }
    if (share) {
      const message = s.postMessage(share.channel, { text: comment ?? '' }, share.threadTs);
      message.files = entries.map((e) => e.file.id);
      for (const { file } of entries)
        file.shares.push({ channel: share.channel, ts: message.ts, ...(share.threadTs ? { thread_ts: share.threadTs } : {}) });
    }
    return { ok: true, files: entries.map((e) => fileJson(s, e.file)) };
  },

  'files.info': (s, a) => {
    const scope = missingScope(s, 'files:read');
    if (scope) return scope;
    const file = s.files.get(str(a, 'file') ?? '');
    if (!file || !file.completed) return fail('file_not_found');
    return { ok: true, file: fileJson(s, file) };
  },
};

/** The POST to an upload_url: raw bytes (or one multipart file part); exactly the announced length, once, in time. */
export const handleUpload = (s: SlackState, token: string, body: Buffer, contentType: string): { status: number; text: string } => {
  const entry = s.uploadUrls.get(token);
  if (!entry || entry.used) return { status: 404, text: 'Not Found' };
  if (Date.now() > entry.expiresAt) return { status: 410, text: 'upload URL expired' };
  const file = s.files.get(entry.fileId);
  if (!file) return { status: 404, text: 'Not Found' };
  entry.used = true;
  const bytes = contentType.toLowerCase().startsWith('multipart/form-data') ? multipartFile(body, contentType) : body;
  if (!bytes) return { status: 400, text: 'no file part' };
  if (bytes.length !== file.length) return { status: 400, text: `length mismatch: announced ${file.length}, received ${bytes.length}` };
  file.content = bytes;
  return { status: 200, text: `OK - ${bytes.length}` };
};

const multipartFile = (body: Buffer, contentType: string): Buffer | undefined => {
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/iu.exec(contentType);
  const b = boundary?.[1] ?? boundary?.[2];
  if (!b) return undefined;
  const delimiter = Buffer.from(`--${b}`);
  let at = body.indexOf(delimiter);
  while (at >= 0) {
    const next = body.indexOf(delimiter, at + delimiter.length);
    if (next < 0) return undefined;
    const part = body.subarray(at + delimiter.length + 2, next - 2);
    const split = part.indexOf('\r\n\r\n');
    const headers = part.subarray(0, split).toString('utf8');
    if (/filename=/iu.test(headers)) return part.subarray(split + 4);
    at = next;
  }
  return undefined;
};

// The console page and its API, served beside Slack's endpoint by the bot's own HTTP server (console mode only).
import { readFile } from 'node:fs/promises';
import type { IncomingMessage, ServerResponse } from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { CustomRoute } from '@slack/bolt';
import { z } from 'zod';
import type { FakeSlack } from '../slack/startFakeSlack.ts';
import type { ConsoleFleet } from './consoleFleet.ts';
import { createRelay, RelayError, type RelayAnswer } from './consoleRelay.ts';
import { downloadHeaders } from './downloadHeaders.ts';
import { CONSOLE_CHANGES, CONSOLE_CHANNELS, CONSOLE_USERS } from './consoleWorld.ts';

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');
const STATIC_FILES: Record<string, string> = {
  '/console': 'index.html',
  '/console/': 'index.html',
  '/console/console.js': 'console.js',
  '/console/blockKit.js': 'blockKit.js',
  '/console/console.css': 'console.css',
};
const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};
// The page loads nothing from elsewhere and runs no inline script.
const SECURITY_HEADERS = {
  'content-security-policy': "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'cache-control': 'no-store',
};
const MAX_BODY = 256 * 1024;
const MAX_UPLOAD_CHARS = 200_000;

type Res = ServerResponse;

const send = (res: Res, status: number, body: unknown): void => {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...SECURITY_HEADERS });
  res.end(JSON.stringify(body));
};

const readBody = async (req: IncomingMessage): Promise<unknown> => {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > MAX_BODY) throw new RelayError('request too large');
    chunks.push(chunk as Buffer);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as unknown;
};

const inputValue = z.union([z.string().max(10_000), z.number(), z.array(z.string().max(2_000)).max(100), z.null()]);
const user = z.string().regex(/^U[A-Z0-9]{2,30}$/u);
const requests = {
  command: z.object({ user, channel: z.string().regex(/^[CDG][A-Z0-9]{2,30}$/u), text: z.string().min(1).max(4_000) }),
  action: z.object({
    user,
    actionId: z.string().max(255),
    blockId: z.string().max(255),
    value: inputValue.optional(),
    channel: z.string().max(40).optional(),
    ts: z.string().max(40).optional(),
    viewId: z.string().max(60).optional(),
    ephemeral: z.boolean().default(false),
    values: z.record(z.string(), inputValue).default({}),
  }),
  submit: z.object({ user, viewId: z.string().max(60), values: z.record(z.string(), inputValue).default({}) }),
  close: z.object({ user, viewId: z.string().max(60) }),
  suggest: z.object({
    user,
    viewId: z.string().max(60).optional(),
    channel: z.string().max(40).optional(),
    ts: z.string().max(40).optional(),
    ephemeral: z.boolean().default(false),
    actionId: z.string().max(255),
    blockId: z.string().max(255),
    query: z.string().max(200),
  }),
  home: z.object({ user }),
  // A file chosen in a file_input: text (the targets file is .txt or .csv), registered as the person's upload.
  upload: z.object({ user, name: z.string().min(1).max(255), content: z.string().max(MAX_UPLOAD_CHARS) }),
  reboot: z.object({ instanceId: z.string().regex(/^i-[0-9a-f]{8,17}$/u) }),
};

export type ConsoleRouteDeps = {
  readonly botUrl: string;
  readonly slack: FakeSlack;
  readonly fleet: ConsoleFleet;
  readonly signingSecret: string;
  readonly manifest: Record<string, unknown>;
};

type SlashCommand = { readonly command: string; readonly usage_hint?: string; readonly description?: string };

/** The slash commands of the app's manifest: the only ones Slack sends the bot. */
const slashCommandsOf = (manifest: Record<string, unknown>): SlashCommand[] => {
  const features = manifest['features'];
  const list = typeof features === 'object' && features !== null ? (features as Record<string, unknown>)['slash_commands'] : undefined;
  return Array.isArray(list) ? (list as SlashCommand[]) : [];
};

/** GET /console (the page), GET /console/api/state|output, POST /console/api/<what a person did>. */
export const consoleRoutes = ({ botUrl, slack, fleet, signingSecret, manifest }: ConsoleRouteDeps): CustomRoute[] => {
  const commands = slashCommandsOf(manifest);
  const relay = createRelay({ botUrl, slack, signingSecret, commands: commands.map((c) => c.command) });

  const state = (me: string) => {
    const dm = slack.dmChannelOf(me);
    const channels = [...CONSOLE_CHANNELS.map((c) => ({ id: c.id, name: c.name })), { id: dm, name: 'DM with pcm-ops-bot' }];
    const modal = relay.topModal(me);
    return {
      me,
      users: CONSOLE_USERS,
      changes: CONSOLE_CHANGES,
      commands: commands.map((c) => ({ command: c.command, hint: c.usage_hint ?? '', description: c.description ?? '' })),
      channels: channels.map((c) => ({
        ...c,
        messages: slack.messages(c.id).map((m) => ({
          ts: m.ts,
          threadTs: m.thread_ts ?? null,
          text: m.text ?? '',
          blocks: m.blocks ?? [],
          edited: m.history.length > 0,
          files: (m.files ?? []).flatMap((id) => {
            const f = slack.botFiles().find((b) => b.id === id);
            return f ? [{ id, name: f.filename, title: f.title ?? f.filename, size: f.content?.byteLength ?? 0 }] : [];
          }),
          postedAt: m.postedAt.toISOString(),
        })),
        ephemerals: slack
          .ephemerals(me)
          .filter((e) => e.channel === c.id)
          .map((e) => ({ ts: e.message_ts, threadTs: e.thread_ts ?? null, text: e.text ?? '', blocks: e.blocks ?? [] })),
      })),
      modal: modal ?? null,
      home: slack.homeOf(me) ?? null,
      fleet: fleet
        .view()
        .map(({ lastRun, ...i }) => ({ ...i, lastRun: lastRun ? { ...lastRun, stdout: undefined, stderr: undefined } : null })),
    };
  };

  const api =
    <S extends z.ZodType>(schema: S, handle: (body: z.infer<S>) => Promise<RelayAnswer | Record<string, unknown>>) =>
    (req: IncomingMessage, res: Res): void => {
      void (async () => {
        try {
          const parsed = schema.safeParse(await readBody(req));
          if (!parsed.success) return send(res, 400, { ok: false, error: 'malformed request' });
          send(res, 200, await handle(parsed.data));
        } catch (error) {
          if (error instanceof RelayError || error instanceof SyntaxError) return send(res, 400, { ok: false, error: error.message });
          send(res, 500, { ok: false, error: error instanceof Error ? error.message : 'failed' });
        }
      })();
    };

  const query = (req: IncomingMessage, key: string): string => new URL(req.url ?? '/', 'http://console').searchParams.get(key) ?? '';

  return [
    ...Object.entries(STATIC_FILES).map(([route, file]): CustomRoute => ({
      path: route,
      method: ['GET'],
      handler: (_req, res) => {
        void readFile(path.join(STATIC_DIR, file)).then(
          (content) => {
            res.writeHead(200, { 'content-type': TYPES[path.extname(file)] ?? 'application/octet-stream', ...SECURITY_HEADERS });
            res.end(content);
          },
          () => send(res, 404, { ok: false }),
        );
      },
    })),
    {
      path: '/',
      method: ['GET'],
      handler: (_req, res) => {
        res.writeHead(302, { location: '/console' });
        res.end();
      },
    },
    {
      path: '/console/api/state',
      method: ['GET'],
      handler: (req, res) => {
        const me = query(req, 'user');
        if (!CONSOLE_USERS.some((u) => u.id === me)) return send(res, 400, { ok: false, error: 'unknown user' });
        send(res, 200, state(me));
      },
    },
    {
      path: '/console/api/output',
      method: ['GET'],
      handler: (req, res) => {
        const instance = fleet.view().find((i) => i.instanceId === query(req, 'instance'));
        if (!instance) return send(res, 404, { ok: false, error: 'no such instance' });
        send(res, 200, { ok: true, instanceId: instance.instanceId, name: instance.name, lastRun: instance.lastRun ?? null });
      },
    },
    {
      path: '/console/api/command',
      method: ['POST'],
      handler: api(requests.command, (b) => relay.command(b.user, b.channel, b.text)),
    },
    {
      path: '/console/api/action',
      method: ['POST'],
      handler: api(requests.action, (b) => {
        if (b.viewId) return relay.viewAction(b.user, b.viewId, b.actionId, b.blockId, b.value, b.values);
        if (b.channel && b.ts && b.ephemeral) return relay.ephemeralAction(b.user, b.channel, b.ts, b.actionId, b.blockId, b.value);
        if (b.channel && b.ts) return relay.messageAction(b.user, b.channel, b.ts, b.actionId, b.blockId, b.value);
        throw new RelayError('an action needs a message or a view');
      }),
    },
    { path: '/console/api/submit', method: ['POST'], handler: api(requests.submit, (b) => relay.submit(b.user, b.viewId, b.values)) },
    { path: '/console/api/close', method: ['POST'], handler: api(requests.close, (b) => relay.close(b.user, b.viewId)) },
    {
      path: '/console/api/suggest',
      method: ['POST'],
      handler: api(requests.suggest, (b) => {
        if (b.viewId) return relay.suggest(b.user, b.viewId, b.actionId, b.blockId, b.query);
        if (b.channel && b.ts) return relay.suggestInMessage(b.user, b.channel, b.ts, b.ephemeral, b.actionId, b.blockId, b.query);
        throw new RelayError('an options request needs a message or a view');
      }),
    },
    {
      path: '/console/api/upload',
      method: ['POST'],
      handler: api(requests.upload, async (b) => ({
        ok: true,
        file: { id: slack.files.upload({ name: b.name, content: b.content, user: b.user }), name: b.name },
      })),
    },
    {
      path: '/console/api/file',
      method: ['GET'],
      handler: (req, res) => {
        const me = query(req, 'user');
        const file = slack.botFiles().find((f) => f.id === query(req, 'id'));
        const visible = [...CONSOLE_CHANNELS.map((c) => c.id), slack.dmChannelOf(me)];
        // Only a file shared where this person can see it, and only as a download.
        if (!CONSOLE_USERS.some((u) => u.id === me) || !file?.content || !file.shares.some((sh) => visible.includes(sh.channel)))
          return send(res, 404, { ok: false, error: 'no such file' });
        res.writeHead(200, {
          ...SECURITY_HEADERS,
          ...downloadHeaders(file.filename),
          'content-length': file.content.byteLength,
        });
        res.end(file.content);
      },
    },
    { path: '/console/api/home', method: ['POST'], handler: api(requests.home, (b) => relay.openHome(b.user)) },
    {
      path: '/console/api/reboot',
      method: ['POST'],
      handler: api(requests.reboot, async (b) => {
        if (!fleet.instances.some((i) => i.instanceId === b.instanceId && i.family !== 'windows' && i.pingStatus === 'Online'))
          throw new RelayError('only online Linux instances can be rebooted here');
        return { ok: true, runningKernel: await fleet.reboot(b.instanceId) };
      }),
    },
  ];
};

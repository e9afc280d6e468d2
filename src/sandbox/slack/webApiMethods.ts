// The Web API methods the bot uses, answering with Slack's response shapes and error codes.
import { validateMessageBlocks, validateView } from './blockKitLimits.ts';
import type { SlackArgs, SlackView } from './fakeSlackTypes.ts';
import { fileMethods } from './fileMethods.ts';
import type { MessageContent, SlackState } from './slackState.ts';
import { filesInfo } from './slackFiles.ts';

export type SlackResult = { ok: boolean } & Record<string, unknown>;
export type WebApiMethod = (state: SlackState, args: SlackArgs) => SlackResult;

const MAX_TEXT_CHARS = 40_000;

const fail = (error: string, extra: Record<string, unknown> = {}): SlackResult => ({ ok: false, error, ...extra });

/** Slack's shape for validation failures: the codes plus "[ERROR] …" lines in response_metadata. */
const invalid = (error: string, messages: string[]): SlackResult =>
  fail(error, { errors: messages, response_metadata: { messages: messages.map((m) => `[ERROR] ${m}`) } });

function str(args: SlackArgs, key: string): string | undefined {
  const v = args[key];
  if (typeof v === 'string') return v;
  if (typeof v === 'number') return String(v);
  return undefined;
}

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Validates text/blocks/attachments of a message-like call; returns content or the Slack error. */
export function messageContent(args: SlackArgs): MessageContent | SlackResult {
  const { blocks, attachments } = args;
  const text = str(args, 'text');
  // A string here means the JSON inside the form field did not parse.
  if (typeof blocks === 'string') return fail('invalid_blocks_format');
  if (typeof attachments === 'string') return fail('invalid_attachments');
  const hasBlocks = Array.isArray(blocks) && blocks.length > 0;
  const hasAttachments = Array.isArray(attachments) && attachments.length > 0;
  if ((text === undefined || text === '') && !hasBlocks && !hasAttachments) return fail('no_text');
  if (text !== undefined && text.length > MAX_TEXT_CHARS) return fail('msg_too_long');
  if (blocks !== undefined) {
    const errors = validateMessageBlocks(blocks);
    if (errors.length > 0) return invalid('invalid_blocks', errors);
  }
  const content: MessageContent = {};
  if (text !== undefined) content.text = text;
  if (Array.isArray(blocks)) content.blocks = blocks;
  if (Array.isArray(attachments)) content.attachments = attachments;
  if (args['metadata'] !== undefined) {
    // Slack's message metadata: an event_type (letters, digits, underscores) and an event_payload object.
    const metadata = args['metadata'];
    if (typeof metadata === 'string') return fail('invalid_metadata_format');
    if (!isRecord(metadata) || typeof metadata['event_type'] !== 'string' || !isRecord(metadata['event_payload']))
      return fail('invalid_metadata_schema');
    if (!/^[A-Za-z0-9_]{1,255}$/u.test(metadata['event_type'])) return fail('invalid_metadata_schema');
    content.metadata = metadata;
  }
  return content;
}

const isFailure = (v: MessageContent | SlackResult): v is SlackResult => 'ok' in v;

/** The history scope a conversation needs: DMs im:history, group DMs mpim:history, channels channels:history. */
const historyScope = (channel: string): string =>
  channel.startsWith('D') ? 'im:history' : channel.startsWith('G') ? 'mpim:history' : 'channels:history';

/**
 * conversations.history (top-level messages, newest first) and conversations.replies (a thread: its parent,
 * then the replies oldest first): `oldest`/`latest` bounds, `limit` (history ≤ 999, replies ≤ 1000) with cursor
 * pages, message metadata only with include_all_metadata. The bot must be in the channel and hold the scope.
 */
function readConversation(s: SlackState, a: SlackArgs, threadTs: string | undefined): SlackResult {
  const channel = str(a, 'channel');
  if (channel === undefined || channel === '') return fail('channel_not_found');
  if (s.config.channels !== undefined && !channel.startsWith('D') && !s.config.channels.has(channel)) return fail('channel_not_found');
  const scope = historyScope(channel);
  if (!s.config.scopes.has(scope)) return fail('missing_scope', { needed: scope, provided: [...s.config.scopes].join(',') });
  if (!s.isBotMember(channel)) return fail('not_in_channel');
  const limitArg = Number(str(a, 'limit') ?? (threadTs === undefined ? 100 : 1000));
  const limit = Math.min(Number.isFinite(limitArg) && limitArg > 0 ? Math.floor(limitArg) : 100, threadTs === undefined ? 999 : 1000);
  const inclusive = ['true', '1'].includes(str(a, 'inclusive') ?? '');
  const oldest = Number(str(a, 'oldest') ?? 0);
  const latest = Number(str(a, 'latest') ?? Number.POSITIVE_INFINITY);
  const inRange = (ts: string): boolean => {
    const t = Number(ts);
    return inclusive ? t >= oldest && t <= latest : t > oldest && t < latest;
  };
  const live = s.messages.filter((m) => m.channel === channel && !m.deleted);
  let messages;
  if (threadTs === undefined) {
    messages = live.filter((m) => (m.thread_ts === undefined || m.thread_ts === m.ts) && inRange(m.ts)).reverse();
  } else {
    const parent = live.find((m) => m.ts === threadTs);
    if (!parent) return fail('thread_not_found');
    const root = parent.thread_ts ?? parent.ts;
    messages = live.filter((m) => (m.ts === root || m.thread_ts === root) && inRange(m.ts));
  }
  const start = Number(
    str(a, 'cursor')
      ? Buffer.from(str(a, 'cursor') ?? '', 'base64')
          .toString('utf8')
          .replace(/^next:/u, '')
      : 0,
  );
  if (!Number.isInteger(start) || start < 0) return fail('invalid_cursor');
  const page = messages.slice(start, start + limit);
  const more = start + limit < messages.length;
  const withMetadata = ['true', '1'].includes(str(a, 'include_all_metadata') ?? '');
  return {
    ok: true,
    messages: page.map((m) => ({ ...s.messageJson(m), ...(withMetadata && m.metadata !== undefined ? { metadata: m.metadata } : {}) })),
    has_more: more,
    ...(threadTs === undefined ? { pin_count: 0 } : {}),
    response_metadata: { next_cursor: more ? Buffer.from(`next:${start + limit}`).toString('base64') : '' },
  };
}

function viewFrom(state: SlackState, input: Record<string, unknown>, previous: SlackView | undefined, id?: string): SlackView {
  const { config } = state;
  const str0 = (k: string): string => (typeof input[k] === 'string' ? input[k] : '');
  return {
    id: id ?? state.nextViewId(),
    team_id: config.teamId,
    type: input['type'] === 'home' ? 'home' : 'modal',
    blocks: Array.isArray(input['blocks']) ? input['blocks'] : [],
    private_metadata: str0('private_metadata'),
    callback_id: str0('callback_id'),
    state: { values: {} },
    hash: state.nextHash(),
    title: input['title'],
    submit: input['submit'] ?? null,
    close: input['close'] ?? null,
    clear_on_close: input['clear_on_close'] === true,
    notify_on_close: input['notify_on_close'] === true,
    previous_view_id: previous?.id ?? null,
    root_view_id: previous ? (previous.root_view_id ?? previous.id) : null,
    app_id: config.appId,
    external_id: str0('external_id'),
    app_installed_team_id: config.teamId,
    bot_id: config.botId,
  };
}

/** Checks a `view` argument; on success returns the parsed object. */
function checkViewArg(
  state: SlackState,
  args: SlackArgs,
  expectedType?: 'modal' | 'home',
  replacing?: SlackView,
): Record<string, unknown> | SlackResult {
  const view = args['view'];
  if (view === undefined) return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: view'] } });
  if (!isRecord(view)) return invalid('invalid_arguments', ['must provide a JSON object [json-pointer:/view]']);
  const errors = validateView(view, expectedType ?? replacing?.type);
  if (errors.length > 0) return invalid('invalid_arguments', errors);
  const externalId = view['external_id'];
  if (typeof externalId === 'string' && externalId !== '') {
    const clash = [...state.views.values()].find((v) => v.external_id === externalId && v.id !== replacing?.id);
    if (clash) return fail('duplicate_external_id');
  }
  return view;
}

const isResult = (v: unknown): v is SlackResult => isRecord(v) && typeof v['ok'] === 'boolean';

function storeView(state: SlackState, view: SlackView, userId: string | undefined): SlackView {
  state.views.set(view.id, view);
  if (userId !== undefined) state.viewUsers.set(view.id, userId);
  return view;
}

function stackDepth(state: SlackState, view: SlackView | undefined): number {
  let depth = 0;
  for (let v = view; v; v = v.previous_view_id ? state.views.get(v.previous_view_id) : undefined) depth += 1;
  return depth;
}

function userJson(state: SlackState, id: string): Record<string, unknown> | undefined {
  const { config } = state;
  if (id === config.botUserId) {
    return {
      id,
      team_id: config.teamId,
      name: 'pcm-ops-bot',
      deleted: false,
      real_name: 'PCM Ops Bot',
      is_bot: true,
      is_app_user: false,
      profile: { real_name: 'PCM Ops Bot', display_name: 'pcm-ops-bot', bot_id: config.botId },
    };
  }
  const user = config.users.get(id);
  if (!user) return undefined;
  const realName = user.realName ?? user.name;
  return {
    id,
    team_id: config.teamId,
    name: user.name,
    deleted: user.deleted ?? false,
    real_name: realName,
    tz: user.tz ?? 'Europe/Berlin',
    is_bot: user.isBot ?? false,
    is_app_user: false,
    profile: { real_name: realName, display_name: user.name, ...(user.email !== undefined ? { email: user.email } : {}) },
  };
}

export const webApiMethods: Record<string, WebApiMethod> = {
  ...fileMethods,
  // Files the bot uploaded answer from fileMethods; files people uploaded (a modal's file_input) from slackFiles.
  'files.info': (s, a) => (s.files.has(String(a['file'] ?? '')) ? fileMethods['files.info']!(s, a) : filesInfo(s, a)),

  'auth.test': (s) => ({
    ok: true,
    url: `https://${s.config.teamDomain}.slack.com/`,
    team: s.config.teamName,
    user: 'pcm-ops-bot',
    team_id: s.config.teamId,
    user_id: s.config.botUserId,
    bot_id: s.config.botId,
    is_enterprise_install: false,
  }),

  'chat.postMessage': (s, a) => {
    const channel = s.resolveChannel(str(a, 'channel'));
    if ('error' in channel) return fail(channel.error);
    const content = messageContent(a);
    if (isFailure(content)) return content;
    let threadTs = str(a, 'thread_ts');
    if (threadTs !== undefined && threadTs !== '') {
      const parent = s.findMessage(channel.id, threadTs);
      if (!parent) return fail('invalid_thread_ts');
      threadTs = parent.thread_ts ?? parent.ts; // a reply to a reply lands in the same thread
    }
    const message = s.postMessage(channel.id, content, threadTs || undefined);
    return { ok: true, channel: channel.id, ts: message.ts, message: s.messageJson(message) };
  },

  'chat.update': (s, a) => {
    const channel = str(a, 'channel');
    const ts = str(a, 'ts');
    if (channel === undefined) return fail('channel_not_found');
    const message = ts === undefined ? undefined : s.findMessage(channel, ts);
    if (!message) return fail('message_not_found');
    const content = messageContent(a);
    if (isFailure(content)) return content;
    s.updateMessage(message, content);
    return { ok: true, channel, ts: message.ts, text: message.text ?? '', message: s.messageJson(message) };
  },

  'chat.delete': (s, a) => {
    const channel = str(a, 'channel') ?? '';
    const message = s.findMessage(channel, str(a, 'ts') ?? '');
    if (!message) return fail('message_not_found');
    message.deleted = true;
    return { ok: true, channel, ts: message.ts };
  },

  'chat.postEphemeral': (s, a) => {
    const channel = s.resolveChannel(str(a, 'channel'));
    if ('error' in channel) return fail(channel.error);
    const user = str(a, 'user');
    if (user === undefined || !s.isKnownUser(user)) return fail('user_not_in_channel');
    const content = messageContent(a);
    if (isFailure(content)) return content;
    const messageTs = s.nextTs();
    const threadTs = str(a, 'thread_ts');
    s.ephemerals.push({
      channel: channel.id,
      user,
      message_ts: messageTs,
      ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
      ...(content.text !== undefined ? { text: content.text } : {}),
      ...(content.blocks !== undefined ? { blocks: content.blocks } : {}),
      at: new Date(),
      source: 'chat.postEphemeral',
    });
    return { ok: true, message_ts: messageTs };
  },

  'chat.getPermalink': (s, a) => {
    const channel = str(a, 'channel') ?? '';
    const message = s.findMessage(channel, str(a, 'message_ts') ?? '');
    if (!message) return fail('message_not_found');
    return { ok: true, channel, permalink: s.permalink(message) };
  },

  'views.open': (s, a) => {
    const trigger = s.checkTrigger(str(a, 'trigger_id'));
    if (typeof trigger === 'string') return fail(trigger);
    const input = checkViewArg(s, a, 'modal');
    if (isResult(input)) return input;
    trigger.used = true;
    return { ok: true, view: storeView(s, viewFrom(s, input, undefined), trigger.userId) };
  },

  'views.push': (s, a) => {
    const trigger = s.checkTrigger(str(a, 'trigger_id'));
    if (typeof trigger === 'string') return fail(trigger);
    const input = checkViewArg(s, a, 'modal');
    if (isResult(input)) return input;
    // Without an explicit view on the trigger, push onto the most recently created modal.
    const modals = [...s.views.values()].filter((v) => v.type === 'modal');
    const previous = trigger.viewId !== undefined ? s.views.get(trigger.viewId) : modals.at(-1);
    if (stackDepth(s, previous) >= 3) return fail('push_limit_reached');
    trigger.used = true;
    return { ok: true, view: storeView(s, viewFrom(s, input, previous), trigger.userId) };
  },

  'views.update': (s, a) => {
    const viewId = str(a, 'view_id');
    const externalId = str(a, 'external_id');
    if (viewId === undefined && externalId === undefined)
      return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] view_id or external_id is required'] } });
    const current = viewId !== undefined ? s.views.get(viewId) : [...s.views.values()].find((v) => v.external_id === externalId);
    if (!current) return fail('not_found');
    const hash = str(a, 'hash');
    if (hash !== undefined && hash !== current.hash) return fail('hash_conflict');
    const input = checkViewArg(s, a, undefined, current);
    if (isResult(input)) return input;
    const previous = current.previous_view_id ? s.views.get(current.previous_view_id) : undefined;
    const next = viewFrom(s, input, previous, current.id);
    next.root_view_id = current.root_view_id;
    return { ok: true, view: storeView(s, next, undefined) };
  },

  'views.publish': (s, a) => {
    const userId = str(a, 'user_id');
    if (userId === undefined)
      return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: user_id'] } });
    if (!s.isKnownUser(userId)) return fail('user_not_found');
    const currentId = s.homes.get(userId);
    const current = currentId !== undefined ? s.views.get(currentId) : undefined;
    const hash = str(a, 'hash');
    if (hash !== undefined && current !== undefined && hash !== current.hash) return fail('hash_conflict');
    const input = checkViewArg(s, a, 'home', current);
    if (isResult(input)) return input;
    const view = storeView(s, viewFrom(s, input, undefined, current?.id), userId);
    s.homes.set(userId, view.id);
    return { ok: true, view };
  },

  'usergroups.users.list': (s, a) => {
    const users = s.usergroups.get(str(a, 'usergroup') ?? '');
    if (!users) return fail('no_such_subteam');
    return { ok: true, users: [...users] };
  },

  'users.info': (s, a) => {
    const user = userJson(s, str(a, 'user') ?? '');
    return user ? { ok: true, user } : fail('user_not_found');
  },

  'conversations.history': (s, a) => readConversation(s, a, undefined),
  'conversations.replies': (s, a) => {
    const ts = str(a, 'ts');
    if (ts === undefined || ts === '')
      return fail('invalid_arguments', { response_metadata: { messages: ['[ERROR] missing required field: ts'] } });
    return readConversation(s, a, ts);
  },

  'conversations.open': (s, a) => {
    const channel = str(a, 'channel');
    if (channel !== undefined) return { ok: true, no_op: true, already_open: true, channel: { id: channel } };
    const users = (str(a, 'users') ?? '')
      .split(',')
      .map((u) => u.trim())
      .filter((u) => u !== '');
    if (users.length === 0) return fail('users_list_not_supplied');
    const unknown = users.find((u) => !s.isKnownUser(u));
    if (unknown !== undefined) return fail('user_not_found');
    const id = users.length === 1 ? s.dmChannelFor(users[0] ?? '') : `G${users.map((u) => u.slice(1, 4)).join('')}`.slice(0, 11);
    const alreadyOpen = s.openDms.has(id);
    s.openDms.add(id);
    return { ok: true, ...(alreadyOpen ? { no_op: true, already_open: true } : {}), channel: { id } };
  },
};

// Everything the fake Slack remembers, plus the id/ts generators. Web API methods and the
// response_url endpoint both mutate this; the FakeSlack class exposes read-only views of it.
import { randomBytes } from 'node:crypto';
import type {
  FakeEphemeral,
  FakeFile,
  FakeMessage,
  FakeSlackOptions,
  FakeSlackUser,
  IssueTriggerOptions,
  RecordedCall,
  ResponseUrlOptions,
  ResponseUrlPost,
  SlackView,
} from './fakeSlackTypes.ts';

export interface ResolvedConfig {
  botToken: string;
  botUserId: string;
  botId: string;
  teamId: string;
  teamDomain: string;
  teamName: string;
  appId: string;
  users: Map<string, FakeSlackUser>;
  channels: Map<string, { name: string; member?: boolean }> | undefined;
  scopes: Set<string>;
  uploadUrlTtlMs: number;
  triggerTtlMs: number;
  responseUrlMaxUses: number;
}

interface TriggerEntry {
  issuedAt: number;
  used: boolean;
  userId?: string;
  viewId?: string;
}

interface Injection {
  remaining: number;
}

export interface MessageContent {
  text?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
}

/** What the bot's manifest asks for (src/slack/manifest/buildManifest.ts). */
export const DEFAULT_SCOPES = [
  'commands',
  'chat:write',
  'chat:write.public',
  'im:write',
  'usergroups:read',
  'users:read',
  'files:read',
  'files:write',
  'channels:history',
  'groups:history',
  'im:history',
] as const;

export class SlackState {
  readonly config: ResolvedConfig;
  readonly calls: RecordedCall[] = [];
  readonly messages: FakeMessage[] = [];
  readonly ephemerals: FakeEphemeral[] = [];
  readonly responses: ResponseUrlPost[] = [];
  readonly views = new Map<string, SlackView>();
  /** Who opened (modal) or owns (home) each view. */
  readonly viewUsers = new Map<string, string>();
  readonly homes = new Map<string, string>();
  readonly usergroups = new Map<string, string[]>();
  readonly openDms = new Set<string>();
  readonly triggers = new Map<string, TriggerEntry>();
  readonly responseUrls = new Map<string, ResponseUrlOptions & { uses: number }>();
  readonly rateLimits = new Map<string, Injection & { retryAfterSeconds: number }>();
  /** `applied`: the call takes effect before the failure is answered (Slack accepted it; the answer was lost). */
  readonly failures = new Map<string, Injection & { error: string; status: number; applied: boolean }>();
  /** Calls that take effect and are never answered (until the fake closes): Slack accepted it, the caller died waiting. */
  readonly stalls = new Map<string, Injection>();
  readonly files = new Map<string, FakeFile>();
  /** Upload URL token → the file it uploads, until used once or expired. */
  readonly uploadUrls = new Map<string, { fileId: string; expiresAt: number; used: boolean }>();
  /** The server's origin (upload URLs point at it); set once listening. */
  baseUrl = '';

  // ts values are "<seconds>.<micros>" from a clock that only moves forward, so they sort as strings too.
  readonly #tsBaseMicros = Math.floor(Date.now() / 1000) * 1_000_000;
  #tsCounter = 0;
  #viewCounter = 0;
  #hashCounter = 0;
  #urlCounter = 0;
  #fileCounter = 0;

  constructor(options: FakeSlackOptions) {
    this.config = {
      botToken: options.botToken ?? 'xoxb-fake-bot-token',
      botUserId: options.botUserId ?? 'U0BOT00001',
      botId: options.botId ?? 'B0BOT00001',
      teamId: options.teamId ?? 'T0FAKE0001',
      teamDomain: options.teamDomain ?? 'fake-team',
      teamName: options.teamName ?? 'Fake Team',
      appId: options.appId ?? 'A0FAKE0001',
      users: new Map(Object.entries(options.users ?? {})),
      channels: options.channels ? new Map(Object.entries(options.channels)) : undefined,
      scopes: new Set(options.scopes ?? DEFAULT_SCOPES),
      uploadUrlTtlMs: options.uploadUrlTtlMs ?? 10 * 60_000,
      triggerTtlMs: options.triggerTtlMs ?? 3000,
      responseUrlMaxUses: options.responseUrlMaxUses ?? 5,
    };
    for (const [id, members] of Object.entries(options.usergroups ?? {})) this.usergroups.set(id, [...members]);
  }

  nextTs(): string {
    this.#tsCounter += 1;
    const micros = this.#tsBaseMicros + this.#tsCounter * 100;
    return `${Math.floor(micros / 1_000_000)}.${String(micros % 1_000_000).padStart(6, '0')}`;
  }

  nextViewId(): string {
    this.#viewCounter += 1;
    return `V0FAKE${String(this.#viewCounter).padStart(5, '0')}`;
  }

  nextHash(): string {
    this.#hashCounter += 1;
    return `${Math.floor(Date.now() / 1000)}.${this.#hashCounter.toString(36).padStart(8, 'h')}`;
  }

  nextFileId(): string {
    this.#fileCounter += 1;
    return `F0FAKE${String(this.#fileCounter).padStart(5, '0')}`;
  }

  /** Whether the bot is a member of a channel (DMs: always; without a channel list: every channel). */
  isBotMember(channelId: string): boolean {
    if (channelId.startsWith('D')) return true;
    const configured = this.config.channels?.get(channelId);
    return configured === undefined ? this.config.channels === undefined : configured.member !== false;
  }

  nextResponseUrlId(): string {
    this.#urlCounter += 1;
    return `${this.#urlCounter}${randomBytes(6).toString('hex')}`;
  }

  issueTriggerId(options: IssueTriggerOptions = {}): string {
    const id = `${Math.floor(Date.now() / 1000)}${this.triggers.size}.${this.config.teamId.slice(1)}.${randomBytes(16).toString('hex')}`;
    const entry: TriggerEntry = { issuedAt: Date.now() - (options.ageMs ?? 0), used: false };
    if (options.userId !== undefined) entry.userId = options.userId;
    if (options.viewId !== undefined) entry.viewId = options.viewId;
    this.triggers.set(id, entry);
    return id;
  }

  /** Returns the Slack error for an unusable trigger, or the entry. Does not consume it. */
  checkTrigger(triggerId: string | undefined): TriggerEntry | 'invalid_trigger_id' | 'expired_trigger_id' {
    const entry = triggerId === undefined ? undefined : this.triggers.get(triggerId);
    if (entry === undefined || entry.used) return 'invalid_trigger_id';
    if (Date.now() - entry.issuedAt > this.config.triggerTtlMs) return 'expired_trigger_id';
    return entry;
  }

  dmChannelFor(userId: string): string {
    return `D${userId.slice(1)}`;
  }

  isKnownUser(userId: string): boolean {
    return this.config.users.size === 0 || this.config.users.has(userId) || userId === this.config.botUserId;
  }

  /** Maps what the caller passed as `channel` to the channel id Slack would post into. */
  resolveChannel(channel: string | undefined): { id: string } | { error: string } {
    if (channel === undefined || channel === '') return { error: 'channel_not_found' };
    if (/^[UW]/.test(channel)) {
      return this.isKnownUser(channel) ? { id: this.dmChannelFor(channel) } : { error: 'channel_not_found' };
    }
    const configured = this.config.channels;
    if (channel.startsWith('#')) {
      const byName = configured && [...configured].find(([, c]) => c.name === channel.slice(1));
      return byName ? { id: byName[0] } : { error: 'channel_not_found' };
    }
    if (configured && !configured.has(channel) && !channel.startsWith('D')) return { error: 'channel_not_found' };
    return { id: channel };
  }

  findMessage(channel: string, ts: string): FakeMessage | undefined {
    return this.messages.find((m) => m.channel === channel && m.ts === ts && !m.deleted);
  }

  postMessage(channel: string, content: MessageContent, threadTs?: string): FakeMessage {
    const message: FakeMessage = {
      channel,
      ts: this.nextTs(),
      ...content,
      user: this.config.botUserId,
      bot_id: this.config.botId,
      postedAt: new Date(),
      history: [],
      deleted: false,
    };
    if (threadTs !== undefined) message.thread_ts = threadTs;
    this.messages.push(message);
    return message;
  }

  updateMessage(message: FakeMessage, content: MessageContent): void {
    const previous: FakeMessage['history'][number] = { at: new Date() };
    if (message.text !== undefined) previous.text = message.text;
    if (message.blocks !== undefined) previous.blocks = message.blocks;
    if (message.attachments !== undefined) previous.attachments = message.attachments;
    message.history.push(previous);
    // chat.update replaces the content: a text-only update drops the blocks, as on Slack.
    message.text = content.text;
    message.blocks = content.blocks;
    if (content.attachments !== undefined) message.attachments = content.attachments;
    if (content.metadata !== undefined) message.metadata = content.metadata;
  }

  /** The message as Slack returns it inside API responses. */
  messageJson(m: FakeMessage): Record<string, unknown> {
    return {
      type: 'message',
      text: m.text ?? '',
      user: m.user,
      bot_id: m.bot_id,
      app_id: this.config.appId,
      team: this.config.teamId,
      ts: m.ts,
      ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts, parent_user_id: m.user } : {}),
      ...(m.blocks !== undefined ? { blocks: m.blocks } : {}),
      ...(m.attachments !== undefined ? { attachments: m.attachments } : {}),
      ...(m.files !== undefined ? { files: m.files.map((id) => ({ id })) } : {}),
      bot_profile: { id: m.bot_id, app_id: this.config.appId, name: 'pcm-ops-bot', deleted: false, team_id: this.config.teamId },
    };
  }

  permalink(m: FakeMessage): string {
    const base = `https://${this.config.teamDomain}.slack.com/archives/${m.channel}/p${m.ts.replace('.', '')}`;
    return m.thread_ts !== undefined ? `${base}?thread_ts=${m.thread_ts}&cid=${m.channel}` : base;
  }

  reset(): void {
    this.calls.length = 0;
    this.messages.length = 0;
    this.ephemerals.length = 0;
    this.responses.length = 0;
    this.views.clear();
    this.viewUsers.clear();
    this.homes.clear();
    this.openDms.clear();
    this.triggers.clear();
    this.responseUrls.clear();
    this.rateLimits.clear();
    this.failures.clear();
    this.stalls.clear();
    this.files.clear();
    this.uploadUrls.clear();
  }
}

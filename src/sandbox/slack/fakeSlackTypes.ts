// Public shapes of the fake Slack's configuration and recorded state.

export interface FakeSlackUser {
  name: string;
  realName?: string;
  deleted?: boolean;
  isBot?: boolean;
  email?: string;
  tz?: string;
}

export interface FakeSlackOptions {
  /** Token the bot must present (Bearer header or `token` field). Default 'xoxb-fake-bot-token'. */
  botToken?: string;
  botUserId?: string;
  botId?: string;
  teamId?: string;
  teamDomain?: string;
  teamName?: string;
  appId?: string;
  users?: Record<string, FakeSlackUser>;
  usergroups?: Record<string, string[]>;
  /**
   * When given, posting to any other non-DM channel fails with channel_not_found. `member: false`: the bot is not
   * in that channel (chat:write.public still lets it post; sharing a file there fails with not_in_channel).
   */
  channels?: Record<string, { name: string; member?: boolean }>;
  /** The bot token's scopes (default: every scope the bot's manifest asks for). files.* check theirs. */
  scopes?: readonly string[];
  /** How long an upload_url from files.getUploadURLExternal can be used (once). Default 10 minutes. */
  uploadUrlTtlMs?: number;
  /** How long an issued trigger_id stays valid. Slack: 3 s. */
  triggerTtlMs?: number;
  /** How many times a response_url may be used. Slack: 5. */
  responseUrlMaxUses?: number;
  port?: number;
}

/** Web API arguments as the fake parsed them: form values stay strings, JSON fields (blocks, view…) are parsed. */
export type SlackArgs = Record<string, unknown>;

export interface RecordedCall {
  method: string;
  args: SlackArgs;
  at: Date;
  /** Request Content-Type (WebClient: application/x-www-form-urlencoded). */
  contentType: string;
  /** HTTP status the fake answered (429 when rate limited; 0: never answered, see stallNext). */
  status: number;
  ok: boolean;
  error?: string;
  response: Record<string, unknown>;
}

export interface MessageVersion {
  text?: string;
  blocks?: unknown[];
  attachments?: unknown[];
  at: Date;
}

/** A file uploaded through files.getUploadURLExternal + the upload URL + files.completeUploadExternal. */
export interface FakeFile {
  id: string;
  filename: string;
  /** The length announced in files.getUploadURLExternal. */
  length: number;
  title?: string;
  /** The bytes POSTed to the upload URL (undefined until then). */
  content?: Buffer;
  completed: boolean;
  /** Where completeUploadExternal shared it: the message carrying it. */
  shares: { channel: string; ts: string; thread_ts?: string }[];
}

export interface FakeMessage {
  channel: string;
  ts: string;
  thread_ts?: string;
  text?: string;
  /** Files shared with this message (files.completeUploadExternal): their ids. */
  files?: string[];
  blocks?: unknown[];
  attachments?: unknown[];
  metadata?: unknown;
  user: string;
  bot_id: string;
  postedAt: Date;
  /** Earlier versions, oldest first; the current content is on the message itself. */
  history: MessageVersion[];
  deleted: boolean;
}

export interface FakeEphemeral {
  channel: string;
  user: string;
  message_ts: string;
  thread_ts?: string;
  text?: string;
  blocks?: unknown[];
  at: Date;
  source: 'chat.postEphemeral' | 'response_url';
}

export interface ResponseUrlPost {
  urlId: string;
  body: Record<string, unknown>;
  at: Date;
  /** HTTP status the fake answered: 200, 400 (invalid blocks) or 404 (used up / unknown). */
  status: number;
}

/** A view object as Slack returns it from views.* methods and sends in view payloads. */
export interface SlackView {
  id: string;
  team_id: string;
  type: 'modal' | 'home';
  blocks: unknown[];
  private_metadata: string;
  callback_id: string;
  state: { values: Record<string, Record<string, unknown>> };
  hash: string;
  title?: unknown;
  submit?: unknown;
  close?: unknown;
  clear_on_close: boolean;
  notify_on_close: boolean;
  previous_view_id: string | null;
  root_view_id: string | null;
  app_id: string;
  external_id: string;
  app_installed_team_id: string;
  bot_id: string;
}

export interface IssueTriggerOptions {
  /** The user whose click produced the trigger (recorded on views opened with it). */
  userId?: string;
  /** The view the click happened in: views.push stacks onto it. */
  viewId?: string;
  /** Pretend the trigger was issued this long ago (to test expired_trigger_id without sleeping). */
  ageMs?: number;
}

export interface ResponseUrlOptions {
  /** The message the response_url belongs to: replace_original/delete_original act on it. */
  channel?: string;
  messageTs?: string;
  /** Who clicked: non in_channel responses become ephemerals for this user. */
  user?: string;
}

export interface WaitForOptions {
  timeoutMs?: number;
  intervalMs?: number;
}

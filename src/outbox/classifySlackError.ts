/** What to do about a failed Slack call of the outbox. */
export type SlackFailure =
  | { readonly kind: 'rate_limited'; readonly retryAfterMs: number }
  /** Slack refuses this message for good: retrying cannot help. `channel` when it is the destination's fault. */
  | { readonly kind: 'permanent'; readonly error: string; readonly channel: boolean }
  /** An outage, a timeout, a 5xx, anything else: retried with backoff for as long as it takes. */
  | { readonly kind: 'transient'; readonly error: string };

// The destination is gone or closed to the bot: a fallback (the requester's DM) may still reach someone.
const CHANNEL_ERRORS = new Set([
  'channel_not_found',
  'not_in_channel',
  'is_archived',
  'restricted_action',
  'cannot_dm_bot',
  'user_not_found',
  'user_disabled',
]);
// The message itself is refused; sending it again gets the same answer.
const MESSAGE_ERRORS = new Set([
  'message_not_found',
  'cant_update_message',
  'edit_window_closed',
  'invalid_blocks',
  'invalid_blocks_format',
  'invalid_attachments',
  'msg_too_long',
  'msg_blocks_too_long',
  'no_text',
  'too_many_attachments',
  'invalid_thread_ts',
  'thread_not_found',
  'invalid_arguments',
  // files.*: a scope the app was not installed with, or a file Slack will not take.
  'missing_scope',
  'missing_argument',
  'file_uploads_disabled',
  'file_upload_size_restricted',
]);

/** Reads a WebClient error (@slack/web-api ErrorCode values) without depending on its classes. */
export const classifySlackError = (error: unknown): SlackFailure => {
  const e = error as { code?: string; retryAfter?: number; data?: { error?: string }; statusCode?: number; message?: string };
  if (e.code === 'slack_webapi_rate_limited_error') return { kind: 'rate_limited', retryAfterMs: Math.max(1, e.retryAfter ?? 1) * 1000 };
  if (e.code === 'slack_webapi_platform_error') {
    const code = e.data?.error ?? 'unknown_error';
    if (CHANNEL_ERRORS.has(code)) return { kind: 'permanent', error: code, channel: true };
    if (MESSAGE_ERRORS.has(code)) return { kind: 'permanent', error: code, channel: false };
    return { kind: 'transient', error: code };
  }
  if (e.code === 'slack_webapi_http_error') return { kind: 'transient', error: `HTTP ${e.statusCode ?? '?'}` };
  return { kind: 'transient', error: e.message ?? String(error) };
};

// POST /response/<id>: what Bolt's respond() hits. Slack allows 5 uses per URL and, by default,
// turns a response into an ephemeral message; replace_original/delete_original act on the source message.
import type { SlackState } from './slackState.ts';
import { messageContent } from './webApiMethods.ts';

export interface EndpointAnswer {
  status: number;
  json: Record<string, unknown>;
}

const truthy = (v: unknown): boolean => v === true || v === 'true';

export function handleResponseUrlPost(state: SlackState, urlId: string, rawBody: string): EndpointAnswer {
  const entry = state.responseUrls.get(urlId);
  let body: Record<string, unknown> = {};
  let answer: EndpointAnswer;
  try {
    const parsed: unknown = JSON.parse(rawBody);
    if (typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed)) body = parsed as Record<string, unknown>;
  } catch {
    /* answered below */
  }

  if (!entry) answer = { status: 404, json: { ok: false, error: 'expired_url' } };
  else if (entry.uses >= state.config.responseUrlMaxUses) answer = { status: 404, json: { ok: false, error: 'used_url' } };
  else if (Object.keys(body).length === 0) answer = { status: 400, json: { ok: false, error: 'invalid_payload' } };
  else answer = apply(state, entry, body);

  if (entry && answer.status === 200) entry.uses += 1;
  state.responses.push({ urlId, body, at: new Date(), status: answer.status });
  return answer;
}

function apply(
  state: SlackState,
  entry: NonNullable<ReturnType<SlackState['responseUrls']['get']>>,
  body: Record<string, unknown>,
): EndpointAnswer {
  const original =
    entry.channel !== undefined && entry.messageTs !== undefined ? state.findMessage(entry.channel, entry.messageTs) : undefined;
  if (truthy(body['delete_original'])) {
    if (!original) return { status: 404, json: { ok: false, error: 'message_not_found' } };
    original.deleted = true;
    return { status: 200, json: { ok: true } };
  }
  const content = messageContent(body);
  if ('ok' in content) return { status: 400, json: content };
  if (truthy(body['replace_original'])) {
    if (!original) return { status: 404, json: { ok: false, error: 'message_not_found' } };
    state.updateMessage(original, content);
    return { status: 200, json: { ok: true } };
  }
  if (entry.channel !== undefined) {
    const threadTs = typeof body['thread_ts'] === 'string' ? body['thread_ts'] : undefined;
    if (body['response_type'] === 'in_channel') state.postMessage(entry.channel, content, threadTs);
    else if (entry.user !== undefined) {
      state.ephemerals.push({
        channel: entry.channel,
        user: entry.user,
        message_ts: state.nextTs(),
        ...(threadTs !== undefined ? { thread_ts: threadTs } : {}),
        ...(content.text !== undefined ? { text: content.text } : {}),
        ...(content.blocks !== undefined ? { blocks: content.blocks } : {}),
        at: new Date(),
        source: 'response_url',
      });
    }
  }
  return { status: 200, json: { ok: true } };
}

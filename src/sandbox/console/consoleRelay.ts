// The console's relay: what a person does on the page becomes the request Slack would send the bot
// (built from the blocks and views the bot really posted, signed with the signing secret), and the
// bot's HTTP answer is applied the way Slack applies it (modal errors, update, push, clear).
import type { SlackView } from '../slack/fakeSlackTypes.ts';
import {
  appHomeOpenedEvent,
  blockActionsPayload,
  blockSuggestionPayload,
  viewClosedPayload,
  viewSubmissionPayload,
  type InputValue,
} from '../slack/slackPayloads.ts';
import { postEvent, postInteraction, postSlashCommand } from '../slack/slackRequest.ts';
import type { FakeSlack } from '../slack/startFakeSlack.ts';
import { CONSOLE_CHANNELS, CONSOLE_USERS } from './consoleWorld.ts';

export type RelayDeps = {
  readonly botUrl: string;
  readonly slack: FakeSlack;
  readonly signingSecret: string;
  /** The app's slash commands (its manifest): Slack sends the bot no other. */
  readonly commands: readonly string[];
};

export type RelayAnswer = {
  readonly ok: boolean;
  readonly error?: string;
  readonly errors?: Record<string, string>;
  readonly options?: unknown;
};

/** A click on an element of a message (in `channel`, at `ts`). */
type MessageClick = (
  user: string,
  channel: string,
  ts: string,
  actionId: string,
  blockId: string,
  value: InputValue | undefined,
) => Promise<RelayAnswer>;

export type Relay = {
  readonly command: (user: string, channel: string, line: string) => Promise<RelayAnswer>;
  readonly messageAction: MessageClick;
  /** A click on an ephemeral message: Slack sends no `message`, only the container (is_ephemeral). */
  readonly ephemeralAction: MessageClick;
  readonly viewAction: (
    user: string,
    viewId: string,
    actionId: string,
    blockId: string,
    value: InputValue | undefined,
    values: Record<string, InputValue>,
  ) => Promise<RelayAnswer>;
  readonly submit: (user: string, viewId: string, values: Record<string, InputValue>) => Promise<RelayAnswer>;
  readonly close: (user: string, viewId: string) => Promise<RelayAnswer>;
  readonly suggest: (user: string, viewId: string, actionId: string, blockId: string, query: string) => Promise<RelayAnswer>;
  /** An external select in a message (or an ephemeral one, e.g. `/ops show`): Slack sends the container, no view. */
  readonly suggestInMessage: (
    user: string,
    channel: string,
    ts: string,
    ephemeral: boolean,
    actionId: string,
    blockId: string,
    query: string,
  ) => Promise<RelayAnswer>;
  readonly openHome: (user: string) => Promise<RelayAnswer>;
  /** The modal on top of the user's stack, if any. */
  readonly topModal: (user: string) => SlackView | undefined;
};

const knownUser = (user: string): { id: string; name: string } => {
  const found = CONSOLE_USERS.find((u) => u.id === user);
  if (!found) throw new RelayError(`unknown user ${user}`);
  return { id: found.id, name: found.name };
};

export class RelayError extends Error {}

const readJson = async (response: Response): Promise<unknown> => {
  const text = await response.text();
  if (!text.trim()) return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text;
  }
};

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The element with this action_id in message blocks (actions blocks and section accessories). */
const elementIn = (blocks: readonly unknown[], actionId: string): Record<string, unknown> | undefined =>
  blocks
    .filter(isRecord)
    .flatMap((b) => [...(Array.isArray(b['elements']) ? b['elements'] : []), b['accessory']])
    .filter(isRecord)
    .find((e) => e['action_id'] === actionId);

export const createRelay = ({ botUrl, slack, signingSecret, commands }: RelayDeps): Relay => {
  const closed = new Set<string>();
  const modal = (user: string, viewId: string): SlackView => {
    const view = slack.views.get(viewId);
    if (!view || view.type !== 'modal' || closed.has(viewId) || !slack.modalsOf(user).some((v) => v.id === viewId))
      throw new RelayError('that modal is no longer open');
    return view;
  };
  const stackOf = (view: SlackView): SlackView[] => {
    const stack = [view];
    for (let v = view; v.previous_view_id;) {
      const previous = slack.views.get(v.previous_view_id);
      if (!previous) break;
      stack.push(previous);
      v = previous;
    }
    return stack;
  };
  // Slack's Web API as the bot uses it: the relay applies response_action through the same checks.
  const webApi = async (method: string, args: Record<string, unknown>): Promise<Record<string, unknown>> => {
    const response = await fetch(`${slack.url}${method}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${slack.botToken}`, 'content-type': 'application/json; charset=utf-8' },
      body: JSON.stringify(args),
    });
    const body = await readJson(response);
    return isRecord(body) ? body : { ok: false, error: 'bad_response' };
  };
  const options = async (response: Response): Promise<RelayAnswer> =>
    response.status === 200
      ? { ok: true, options: await readJson(response) }
      : { ok: false, error: `the bot answered the options request with HTTP ${response.status}` };
  const answered = (response: Response, what: string): RelayAnswer =>
    response.status === 200 ? { ok: true } : { ok: false, error: `the bot answered ${what} with HTTP ${response.status}` };

  return {
    command: async (user, channel, line) => {
      const person = knownUser(user);
      const match = /^(\/[a-z0-9_-]+)\s*([\s\S]*)$/iu.exec(line.trim());
      if (!match?.[1]) throw new RelayError('type a slash command, e.g. /qc-prep');
      if (!commands.includes(match[1].toLowerCase()))
        throw new RelayError(`${match[1]} is not a valid command (this app has ${commands.join(', ')})`);
      const channelName = CONSOLE_CHANNELS.find((c) => c.id === channel)?.name ?? 'directmessage';
      const responseUrl = slack.responseUrl({ user, channel });
      const response = await postSlashCommand(botUrl, signingSecret, {
        command: match[1].toLowerCase(),
        text: match[2] ?? '',
        user_id: person.id,
        user_name: person.name,
        channel_id: channel,
        channel_name: channelName,
        team_id: slack.teamId,
        response_url: responseUrl,
        trigger_id: slack.issueTriggerId({ userId: user }),
      });
      const body = await readJson(response);
      // An immediate answer (the ack's body) is shown to the person who typed, as Slack does.
      if (response.status === 200 && body !== undefined) {
        const message = typeof body === 'string' ? { text: body } : body;
        await fetch(responseUrl, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(message) });
      }
      return answered(response, match[1]);
    },

    messageAction: async (user, channel, ts, actionId, blockId, value) => {
      const person = knownUser(user);
      const message = slack.message(channel, ts);
      if (!message || message.deleted) throw new RelayError('that message is gone');
      const payload = blockActionsPayload({
        user: person,
        actionId,
        blockId,
        ...(value !== undefined ? { value } : {}),
        message: { ...message, blocks: message.blocks ?? [] },
        channel: { id: channel, name: CONSOLE_CHANNELS.find((c) => c.id === channel)?.name ?? 'directmessage' },
        triggerId: slack.issueTriggerId({ userId: user }),
        responseUrl: slack.responseUrl({ user, channel, messageTs: ts }),
      });
      return answered(await postInteraction(botUrl, signingSecret, payload), 'the click');
    },

    ephemeralAction: async (user, channel, ts, actionId, blockId, value) => {
      const person = knownUser(user);
      const ephemeral = slack.ephemerals(user).find((e) => e.channel === channel && e.message_ts === ts);
      if (!ephemeral) throw new RelayError('that message is gone');
      const element = elementIn(ephemeral.blocks ?? [], actionId);
      const payload = blockActionsPayload({
        user: person,
        actionId,
        blockId,
        actionType: typeof element?.['type'] === 'string' ? element['type'] : 'button',
        ...(value !== undefined ? { value } : typeof element?.['value'] === 'string' ? { value: element['value'] } : {}),
        channel: { id: channel, name: CONSOLE_CHANNELS.find((c) => c.id === channel)?.name ?? 'directmessage' },
        triggerId: slack.issueTriggerId({ userId: user }),
        responseUrl: slack.responseUrl({ user, channel }),
      });
      return answered(await postInteraction(botUrl, signingSecret, payload), 'the click');
    },

    viewAction: async (user, viewId, actionId, blockId, value, values) => {
      const person = knownUser(user);
      const view = viewId.startsWith('home:') ? slack.homeOf(user) : modal(user, viewId);
      if (!view) throw new RelayError('no App Home yet');
      const payload = blockActionsPayload({
        user: person,
        actionId,
        blockId,
        ...(value !== undefined ? { value } : {}),
        view,
        ...(view.type === 'modal' ? { values } : {}),
        triggerId: slack.issueTriggerId({ userId: user, viewId: view.id }),
      });
      return answered(await postInteraction(botUrl, signingSecret, payload), 'the click');
    },

    submit: async (user, viewId, values) => {
      const person = knownUser(user);
      const view = modal(user, viewId);
      const payload = viewSubmissionPayload({ user: person, view, values, triggerId: slack.issueTriggerId({ userId: user, viewId }) });
      const response = await postInteraction(botUrl, signingSecret, payload);
      if (response.status !== 200) return { ok: false, error: `the bot answered the submission with HTTP ${response.status}` };
      const body = await readJson(response);
      const action = isRecord(body) ? body['response_action'] : undefined;
      if (action === 'errors' && isRecord(body)) {
        const errors = isRecord(body['errors']) ? body['errors'] : {};
        return { ok: true, errors: Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, String(v)])) };
      }
      if (action === 'update' && isRecord(body)) {
        const result = await webApi('views.update', { view_id: viewId, view: body['view'] });
        return result['ok'] === true ? { ok: true } : { ok: false, error: `Slack refused the update: ${String(result['error'])}` };
      }
      if (action === 'push' && isRecord(body)) {
        const result = await webApi('views.push', { trigger_id: slack.issueTriggerId({ userId: user, viewId }), view: body['view'] });
        return result['ok'] === true ? { ok: true } : { ok: false, error: `Slack refused the push: ${String(result['error'])}` };
      }
      // No response_action closes the submitted view (the one below shows again); `clear` closes them all.
      for (const v of action === 'clear' ? stackOf(view) : [view]) closed.add(v.id);
      return { ok: true };
    },

    close: async (user, viewId) => {
      const person = knownUser(user);
      const view = modal(user, viewId);
      for (const v of stackOf(view)) closed.add(v.id);
      if (!view.notify_on_close) return { ok: true };
      return answered(await postInteraction(botUrl, signingSecret, viewClosedPayload({ user: person, view })), 'closing the modal');
    },

    suggest: async (user, viewId, actionId, blockId, query) => {
      const person = knownUser(user);
      const view = modal(user, viewId);
      const response = await postInteraction(
        botUrl,
        signingSecret,
        blockSuggestionPayload({ user: person, actionId, blockId, value: query, view }),
      );
      return options(response);
    },

    suggestInMessage: async (user, channel, ts, ephemeral, actionId, blockId, query) => {
      const person = knownUser(user);
      const channelRef = { id: channel, name: CONSOLE_CHANNELS.find((c) => c.id === channel)?.name ?? 'directmessage' };
      const message = ephemeral ? undefined : slack.message(channel, ts);
      const shown = ephemeral
        ? slack.ephemerals(user).some((e) => e.channel === channel && e.message_ts === ts)
        : message && !message.deleted;
      if (!shown) throw new RelayError('that message is gone');
      const payload = blockSuggestionPayload({
        user: person,
        actionId,
        blockId,
        value: query,
        channel: channelRef,
        ...(message ? { message: { ...message, blocks: message.blocks ?? [] } } : {}),
      });
      if (ephemeral) payload['container'] = { type: 'message', message_ts: ts, channel_id: channel, is_ephemeral: true };
      return options(await postInteraction(botUrl, signingSecret, payload));
    },

    openHome: async (user) => {
      knownUser(user);
      const home = slack.homeOf(user);
      const event = appHomeOpenedEvent(user, home ? { view: home } : {});
      return answered(await postEvent(botUrl, signingSecret, event), 'app_home_opened');
    },

    topModal: (user) =>
      slack
        .modalsOf(user)
        .filter((v) => !closed.has(v.id))
        .at(-1),
  };
};

// Builders for the interaction payloads Slack POSTs to the bot, in Slack's real shapes (see Bolt's
// types in @slack/bolt/dist/types/{actions,view,options}). Bolt routes on `type`, `callback_id`,
// `action_id` and `block_id`, and Slack echoes option objects and view state exactly as defined in
// the blocks, so the builders derive those from the blocks the bot sent whenever they are given.
import { randomBytes } from 'node:crypto';
import type { SlackView } from './fakeSlackTypes.ts';

/** Defaults matching the fake Slack's workspace. */
export const SLACK_TEST_WORKSPACE = {
  teamId: 'T0FAKE0001',
  teamDomain: 'fake-team',
  appId: 'A0FAKE0001',
  botUserId: 'U0BOT00001',
  botId: 'B0BOT00001',
  /** The deprecated verification token Slack still sends; Bolt ignores it. */
  verificationToken: 'fake-verification-token',
} as const;

/** Where respond() goes when a test gave no response_url: a closed local port, so nothing leaves the machine. */
export const UNROUTABLE_RESPONSE_URL = 'http://127.0.0.1:9/response/none';

type Json = Record<string, unknown>;
export type SlackUserRef = string | { id: string; name?: string };
export type SlackChannelRef = string | { id: string; name: string };
/** A value as a user would enter it: text/number/select value, several values (checkboxes, multi-selects) or nothing. */
export type InputValue = string | number | readonly string[] | null;
export type StateValues = Record<string, Record<string, Json>>;

/** A message as the fake Slack records it (FakeMessage fits) or any message object Slack sent. */
export interface MessageLike {
  ts: string;
  channel?: string;
  text?: string;
  blocks?: readonly unknown[];
  thread_ts?: string;
  user?: string;
  bot_id?: string;
}

/** A view as returned by views.open/update/publish (the fake's SlackView fits)… */
export type SlackViewLike = Pick<SlackView, 'id' | 'callback_id'> & Partial<SlackView>;
/** …or described field by field. */
export interface ViewSpec {
  id: string;
  callbackId?: string;
  privateMetadata?: string;
  stateValues?: StateValues;
  hash?: string;
  blocks?: readonly unknown[];
  title?: string;
  type?: 'modal' | 'home';
  externalId?: string;
  rootViewId?: string | null;
  previousViewId?: string | null;
}
export type ViewInput = SlackViewLike | ViewSpec;

const isRecord = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

function userJson(user: SlackUserRef): Json {
  const id = typeof user === 'string' ? user : user.id;
  const name = typeof user === 'string' ? id.toLowerCase() : (user.name ?? id.toLowerCase());
  return { id, username: name, name, team_id: SLACK_TEST_WORKSPACE.teamId };
}

function channelJson(channel: SlackChannelRef): Json {
  if (typeof channel !== 'string') return { ...channel };
  return { id: channel, name: channel.startsWith('D') ? 'directmessage' : channel.toLowerCase() };
}

const team = (): Json => ({ id: SLACK_TEST_WORKSPACE.teamId, domain: SLACK_TEST_WORKSPACE.teamDomain });

const envelope = (): Json => ({
  api_app_id: SLACK_TEST_WORKSPACE.appId,
  token: SLACK_TEST_WORKSPACE.verificationToken,
  team: team(),
  enterprise: null,
  is_enterprise_install: false,
});

/** A trigger_id of the right shape. The fake Slack refuses it: use fake.issueTriggerId() where the bot opens views. */
export function placeholderTriggerId(): string {
  return `${Math.floor(Date.now() / 1000)}.${SLACK_TEST_WORKSPACE.teamId.slice(1)}.${randomBytes(16).toString('hex')}`;
}

export function actionTs(): string {
  const now = Date.now();
  return `${Math.floor(now / 1000)}.${String((now % 1000) * 1000).padStart(6, '0')}`;
}

// ---------------------------------------------------------------- element state

interface FoundElement {
  blockId: string;
  element: Json;
  /** The element sits in an input block (always part of view.state). */
  inInput: boolean;
}

function elementsOf(blocks: readonly unknown[]): FoundElement[] {
  const found: FoundElement[] = [];
  blocks.forEach((block, i) => {
    if (!isRecord(block)) return;
    // Slack invents a block_id when the bot gave none; the index keeps it stable within a test.
    const blockId = typeof block['block_id'] === 'string' ? block['block_id'] : `gen${i}`;
    const add = (e: unknown, inInput: boolean): void => {
      if (isRecord(e)) found.push({ blockId, element: e, inInput });
    };
    if (block['type'] === 'input') add(block['element'], true);
    if (block['type'] === 'section') add(block['accessory'], false);
    if (block['type'] === 'actions' && Array.isArray(block['elements'])) block['elements'].forEach((e) => add(e, false));
  });
  return found;
}

function optionsOf(element: Json): Json[] {
  const direct = Array.isArray(element['options']) ? element['options'] : [];
  const grouped = Array.isArray(element['option_groups'])
    ? element['option_groups'].flatMap((g: unknown) => (isRecord(g) && Array.isArray(g['options']) ? g['options'] : []))
    : [];
  return [...direct, ...grouped].filter(isRecord);
}

const plainOption = (value: string, text?: string): Json => ({ text: { type: 'plain_text', text: text ?? value, emoji: true }, value });

/** A value in the form Slack puts in view.state / the action for this element type. */
function elementValue(type: string, value: InputValue, option: (v: string) => Json): Json {
  const one = (v: InputValue): string | null => (v === null ? null : Array.isArray(v) ? (v[0] ?? null) : String(v));
  const many = (v: InputValue): string[] => (v === null ? [] : Array.isArray(v) ? [...(v as string[])] : [String(v)]);
  switch (type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input': // Slack sends number_input values as strings
      return { type, value: one(value) };
    case 'static_select':
    case 'external_select':
    case 'radio_buttons':
    case 'overflow': {
      const v = one(value);
      return { type, selected_option: v === null ? null : option(v) };
    }
    case 'multi_static_select':
    case 'multi_external_select':
    case 'checkboxes':
      return { type, selected_options: many(value).map(option) };
    case 'users_select':
      return { type, selected_user: one(value) };
    case 'multi_users_select':
      return { type, selected_users: many(value) };
    case 'conversations_select':
      return { type, selected_conversation: one(value) };
    case 'multi_conversations_select':
      return { type, selected_conversations: many(value) };
    case 'channels_select':
      return { type, selected_channel: one(value) };
    case 'multi_channels_select':
      return { type, selected_channels: many(value) };
    case 'datepicker':
      return { type, selected_date: one(value) };
    case 'timepicker':
      return { type, selected_time: one(value) };
    case 'datetimepicker':
      return { type, selected_date_time: value === null ? null : Number(value) };
    case 'rich_text_input': {
      const text = one(value);
      return {
        type,
        rich_text_value: {
          type: 'rich_text',
          elements: text === null ? [] : [{ type: 'rich_text_section', elements: [{ type: 'text', text }] }],
        },
      };
    }
    case 'file_input':
      // Slack sends the uploaded files' objects; given ids here (fake.files.upload), the bot reads the rest with files.info.
      return { type, files: many(value).map((id) => ({ id, mode: 'hosted', is_external: false })) };
    default:
      throw new Error(`slackPayloads: no state shape for element type ${type}`);
  }
}

function initialValueOf(element: Json): InputValue {
  const opt = (o: unknown): string | null => (isRecord(o) && typeof o['value'] === 'string' ? o['value'] : null);
  for (const key of [
    'initial_value',
    'initial_date',
    'initial_time',
    'initial_user',
    'initial_conversation',
    'initial_channel',
    'initial_date_time',
  ]) {
    const v = element[key];
    if (typeof v === 'string' || typeof v === 'number') return v;
  }
  if (element['initial_option'] !== undefined) return opt(element['initial_option']);
  if (Array.isArray(element['initial_options'])) return element['initial_options'].map(opt).filter((v): v is string => v !== null);
  for (const key of ['initial_users', 'initial_conversations', 'initial_channels']) {
    const v = element[key];
    if (Array.isArray(v)) return v.filter((x): x is string => typeof x === 'string');
  }
  return null;
}

/** State of one element from its block definition; options are echoed as defined, unknown ones throw. */
function stateOfElement(element: Json, value: InputValue): Json {
  const type = String(element['type']);
  const actionId = String(element['action_id']);
  const defined = optionsOf(element);
  return elementValue(type, value, (v) => {
    const match = defined.find((o) => o['value'] === v);
    if (match) return match;
    if (type.includes('external')) return plainOption(v);
    throw new Error(
      `slackPayloads: '${v}' is not an option of ${type} '${actionId}' (options: ${defined.map((o) => String(o['value'])).join(', ')})`,
    );
  });
}

/**
 * view.state.values for a view's blocks as Slack would send them: every input block's element
 * (with its initial value unless `values` says otherwise, null when empty) plus any actions/accessory
 * element named in `values`. Keys of `values` are action_ids; an unknown key throws (typo guard).
 */
export function stateValuesForBlocks(blocks: readonly unknown[], values: Record<string, InputValue> = {}): StateValues {
  const state: StateValues = {};
  const used = new Set<string>();
  for (const { blockId, element, inInput } of elementsOf(blocks)) {
    const actionId = element['action_id'];
    if (typeof actionId !== 'string' || element['type'] === 'button') continue;
    const given = Object.hasOwn(values, actionId);
    if (!inInput && !given) continue;
    if (given) used.add(actionId);
    const value = given ? (values[actionId] ?? null) : initialValueOf(element);
    (state[blockId] ??= {})[actionId] = stateOfElement(element, value);
  }
  const unknown = Object.keys(values).filter((k) => !used.has(k));
  if (unknown.length > 0) throw new Error(`slackPayloads: no input with action_id ${unknown.join(', ')} in the view's blocks`);
  return state;
}

export interface StateEntry {
  blockId: string;
  actionId: string;
  /** Element type: plain_text_input, number_input, static_select, checkboxes, radio_buttons, … */
  type: string;
  value: InputValue;
  /** Option label(s) for selects/checkboxes/radios; defaults to the value. */
  text?: string | Record<string, string>;
}

/** view.state.values from explicit entries, for when the view's blocks are not at hand. */
export function stateValuesFrom(entries: readonly StateEntry[]): StateValues {
  const state: StateValues = {};
  for (const e of entries) {
    const label = (v: string): string | undefined => (typeof e.text === 'string' ? e.text : e.text?.[v]);
    (state[e.blockId] ??= {})[e.actionId] = elementValue(e.type, e.value, (v) => plainOption(v, label(v)));
  }
  return state;
}

// ---------------------------------------------------------------- views

function viewOutput(view: ViewInput, stateValues: StateValues | undefined): Json {
  const base = {
    team_id: SLACK_TEST_WORKSPACE.teamId,
    app_id: SLACK_TEST_WORKSPACE.appId,
    app_installed_team_id: SLACK_TEST_WORKSPACE.teamId,
    bot_id: SLACK_TEST_WORKSPACE.botId,
    clear_on_close: false,
    notify_on_close: false,
  };
  if ('callback_id' in view) {
    const blocks = view.blocks ?? [];
    return {
      ...base,
      type: 'modal',
      title: { type: 'plain_text', text: 'View', emoji: true },
      close: null,
      submit: null,
      private_metadata: '',
      hash: '',
      external_id: '',
      previous_view_id: null,
      ...view,
      root_view_id: view.root_view_id ?? view.id,
      blocks,
      state: { values: stateValues ?? view.state?.values ?? stateValuesForBlocks(blocks) },
    };
  }
  const blocks = view.blocks ?? [];
  return {
    ...base,
    id: view.id,
    type: view.type ?? 'modal',
    callback_id: view.callbackId ?? '',
    private_metadata: view.privateMetadata ?? '',
    hash: view.hash ?? `${Math.floor(Date.now() / 1000)}.fakehash`,
    title: { type: 'plain_text', text: view.title ?? 'View', emoji: true },
    close: null,
    submit: null,
    external_id: view.externalId ?? '',
    previous_view_id: view.previousViewId ?? null,
    root_view_id: view.rootViewId ?? view.id,
    blocks,
    state: { values: stateValues ?? view.stateValues ?? stateValuesForBlocks(blocks) },
  };
}

// ---------------------------------------------------------------- payloads

export interface BlockActionsOptions {
  user: SlackUserRef;
  actionId: string;
  /** Found from the blocks when omitted. */
  blockId?: string;
  /** Button value, or the selected value(s) for selects/checkboxes/pickers. Defaults to the button's value. */
  value?: InputValue;
  /** The message whose button was clicked (e.g. fake.messages(channel)[0]). */
  message?: MessageLike;
  channel?: SlackChannelRef;
  /** The view whose element was used (modal or App Home) instead of a message. */
  view?: ViewInput;
  /** Values of the other inputs in the view/message (by action_id). */
  values?: Record<string, InputValue>;
  triggerId?: string;
  responseUrl?: string;
  /** Element type when there are no blocks to look at. Default 'button'. */
  actionType?: string;
}

/** A block_actions payload, as for a button click in a message or a modal. */
export function blockActionsPayload(o: BlockActionsOptions): Json {
  const viewJson = o.view ? viewOutput(o.view, undefined) : undefined;
  const blocks = (viewJson?.['blocks'] as unknown[] | undefined) ?? o.message?.blocks ?? undefined;
  const found = blocks
    ? elementsOf(blocks).find((f) => f.element['action_id'] === o.actionId && (o.blockId === undefined || f.blockId === o.blockId))
    : undefined;
  if (blocks && !found)
    throw new Error(
      `slackPayloads: no element with action_id '${o.actionId}'${o.blockId ? ` in block '${o.blockId}'` : ''} in the given blocks`,
    );

  const element = found?.element ?? { type: o.actionType ?? 'button', action_id: o.actionId };
  const type = String(element['type']);
  const common = { action_id: o.actionId, block_id: found?.blockId ?? o.blockId ?? 'gen0', action_ts: actionTs() };
  let action: Json;
  if (type === 'button') {
    action = {
      ...common,
      type,
      text: element['text'] ?? { type: 'plain_text', text: o.actionId, emoji: true },
      ...(o.value !== undefined ? { value: String(o.value) } : element['value'] !== undefined ? { value: element['value'] } : {}),
      ...(element['style'] !== undefined ? { style: element['style'] } : {}),
    };
  } else {
    const value = o.value !== undefined ? o.value : initialValueOf(element);
    action = { ...common, ...(found ? stateOfElement(element, value) : elementValue(type, value, (v) => plainOption(v))) };
  }

  const payload: Json = {
    type: 'block_actions',
    user: userJson(o.user),
    ...envelope(),
    trigger_id: o.triggerId ?? placeholderTriggerId(),
    actions: [action],
  };
  if (viewJson) {
    const values = o.values ? stateValuesForBlocks(viewJson['blocks'] as unknown[], o.values) : (viewJson['state'] as Json)['values'];
    viewJson['state'] = { values };
    payload['container'] = { type: 'view', view_id: viewJson['id'] };
    payload['view'] = viewJson;
    payload['state'] = { values };
    if (o.responseUrl !== undefined) payload['response_url'] = o.responseUrl;
  } else {
    const channel = o.channel ?? o.message?.channel;
    if (channel === undefined) throw new Error('slackPayloads: blockActionsPayload needs a channel, a message with a channel, or a view');
    const channelObj = channelJson(channel);
    const m = o.message;
    // Without a message it is a click on an ephemeral message: Slack then sends no `message`.
    payload['container'] = m
      ? {
          type: 'message',
          message_ts: m.ts,
          channel_id: channelObj['id'],
          is_ephemeral: false,
          ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts } : {}),
        }
      : { type: 'message', message_ts: actionTs(), channel_id: channelObj['id'], is_ephemeral: true };
    payload['channel'] = channelObj;
    if (m) {
      payload['message'] = {
        type: 'message',
        subtype: 'bot_message',
        user: m.user ?? SLACK_TEST_WORKSPACE.botUserId,
        bot_id: m.bot_id ?? SLACK_TEST_WORKSPACE.botId,
        app_id: SLACK_TEST_WORKSPACE.appId,
        team: SLACK_TEST_WORKSPACE.teamId,
        text: m.text ?? '',
        ts: m.ts,
        ...(m.thread_ts !== undefined ? { thread_ts: m.thread_ts } : {}),
        blocks: m.blocks ?? [],
      };
    }
    payload['state'] = { values: o.values && m?.blocks ? stateValuesForBlocks(m.blocks, o.values) : {} };
    payload['response_url'] = o.responseUrl ?? UNROUTABLE_RESPONSE_URL;
  }
  return payload;
}

export interface ViewSubmissionOptions {
  user: SlackUserRef;
  view: ViewInput;
  /** Entered values by action_id, turned into state via the view's blocks. */
  values?: Record<string, InputValue>;
  /** Explicit state (wins over `values` and over view.stateValues). */
  stateValues?: StateValues;
  triggerId?: string;
  /** For modals with response_url_enabled inputs. */
  responseUrls?: { block_id: string; action_id: string; channel_id: string; response_url: string }[];
}

export function viewSubmissionPayload(o: ViewSubmissionOptions): Json {
  const blocks = o.view.blocks ?? [];
  const state = o.stateValues ?? (o.values ? stateValuesForBlocks(blocks, o.values) : undefined);
  return {
    type: 'view_submission',
    user: userJson(o.user),
    ...envelope(),
    trigger_id: o.triggerId ?? placeholderTriggerId(),
    view: viewOutput(o.view, state),
    response_urls: o.responseUrls ?? [],
  };
}

export function viewClosedPayload(o: { user: SlackUserRef; view: ViewInput; isCleared?: boolean }): Json {
  return {
    type: 'view_closed',
    user: userJson(o.user),
    ...envelope(),
    view: viewOutput(o.view, undefined),
    is_cleared: o.isCleared ?? false,
  };
}

export interface BlockSuggestionOptions {
  user: SlackUserRef;
  actionId: string;
  blockId: string;
  /** What the user typed so far. */
  value: string;
  view?: ViewInput;
  channel?: SlackChannelRef;
  message?: MessageLike;
}

/** An options request for an external_select (answered by app.options()). */
export function blockSuggestionPayload(o: BlockSuggestionOptions): Json {
  const payload: Json = {
    type: 'block_suggestion',
    user: userJson(o.user),
    ...envelope(),
    action_id: o.actionId,
    block_id: o.blockId,
    value: o.value,
  };
  if (o.view) {
    const view = viewOutput(o.view, undefined);
    payload['container'] = { type: 'view', view_id: view['id'] };
    payload['view'] = view;
  } else {
    const channel = o.channel ?? o.message?.channel;
    if (channel !== undefined) payload['channel'] = channelJson(channel);
    payload['container'] = {
      type: 'message',
      message_ts: o.message?.ts ?? actionTs(),
      channel_id: channel === undefined ? undefined : channelJson(channel)['id'],
      is_ephemeral: false,
    };
  }
  return payload;
}

// ---------------------------------------------------------------- Events API

/** An Events API envelope (POST as JSON with postEvent). */
export function eventCallbackPayload(event: Json, options: { eventId?: string; eventTime?: number } = {}): Json {
  const time = options.eventTime ?? Math.floor(Date.now() / 1000);
  return {
    token: SLACK_TEST_WORKSPACE.verificationToken,
    team_id: SLACK_TEST_WORKSPACE.teamId,
    api_app_id: SLACK_TEST_WORKSPACE.appId,
    event,
    type: 'event_callback',
    event_id: options.eventId ?? `Ev${randomBytes(5).toString('hex').toUpperCase()}`,
    event_time: time,
    authorizations: [
      {
        enterprise_id: null,
        team_id: SLACK_TEST_WORKSPACE.teamId,
        user_id: SLACK_TEST_WORKSPACE.botUserId,
        is_bot: true,
        is_enterprise_install: false,
      },
    ],
    is_ext_shared_channel: false,
  };
}

/** The app_home_opened event a user triggers by opening the bot's Home tab. */
export function appHomeOpenedEvent(user: string, options: { tab?: 'home' | 'messages'; view?: SlackViewLike } = {}): Json {
  return eventCallbackPayload({
    type: 'app_home_opened',
    user,
    channel: `D${user.slice(1)}`,
    tab: options.tab ?? 'home',
    event_ts: actionTs(),
    ...(options.view ? { view: viewOutput(options.view, undefined) } : {}),
  });
}

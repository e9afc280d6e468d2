// Block Kit validation modelled on what Slack refuses, so tests fail where production would.
// Messages read like Slack's own: "must be less than 51 items [json-pointer:/blocks]".
// Only limits Slack documents are enforced; unknown-but-plausible fields are let through.

type Json = Record<string, unknown>;

export const MAX_MESSAGE_BLOCKS = 50;
export const MAX_VIEW_BLOCKS = 100;

const isObject = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

const BLOCK_TYPES = new Set([
  'section',
  'divider',
  'header',
  'context',
  'actions',
  'input',
  'image',
  'rich_text',
  'markdown',
  'video',
  'file',
  'call',
  'table',
  'context_actions',
  'plan',
  'task_card',
]);
const ELEMENT_TYPES = new Set([
  'button',
  'static_select',
  'multi_static_select',
  'external_select',
  'multi_external_select',
  'users_select',
  'multi_users_select',
  'conversations_select',
  'multi_conversations_select',
  'channels_select',
  'multi_channels_select',
  'overflow',
  'datepicker',
  'timepicker',
  'datetimepicker',
  'checkboxes',
  'radio_buttons',
  'plain_text_input',
  'number_input',
  'email_text_input',
  'url_text_input',
  'rich_text_input',
  'file_input',
  'image',
  'workflow_button',
  'icon_button',
  'feedback_buttons',
]);
const SELECTS_WITH_OPTIONS = new Set(['static_select', 'multi_static_select']);

class Checker {
  readonly errors: string[] = [];

  fail(message: string, path: string): void {
    this.errors.push(`${message} [json-pointer:${path}]`);
  }

  maxItems(value: unknown[], max: number, path: string): void {
    if (value.length > max) this.fail(`must be less than ${max + 1} items`, path);
  }

  maxChars(value: unknown, max: number, path: string): void {
    if (typeof value === 'string' && value.length > max) this.fail(`must be less than ${max + 1} characters`, path);
  }

  // A text object: {type: plain_text|mrkdwn, text}. Slack refuses empty text.
  text(value: unknown, path: string, max: number, plainOnly = false): void {
    if (!isObject(value)) return this.fail('must be a text object', path);
    if (value['type'] !== 'plain_text' && (plainOnly || value['type'] !== 'mrkdwn')) {
      return this.fail(plainOnly ? 'must be a plain_text object' : 'must be a plain_text or mrkdwn object', `${path}/type`);
    }
    const text = value['text'];
    if (typeof text !== 'string') return this.fail('must provide a string', `${path}/text`);
    if (text.length === 0) return this.fail('must be more than 0 characters', `${path}/text`);
    this.maxChars(text, max, `${path}/text`);
  }

  optionalText(value: unknown, path: string, max: number, plainOnly = false): void {
    if (value !== undefined) this.text(value, path, max, plainOnly);
  }

  option(value: unknown, path: string, plainOnly: boolean): void {
    if (!isObject(value)) return this.fail('must be an option object', path);
    this.text(value['text'], `${path}/text`, 75, plainOnly);
    if (typeof value['value'] !== 'string') this.fail('must provide a string', `${path}/value`);
    this.maxChars(value['value'], 150, `${path}/value`);
    this.optionalText(value['description'], `${path}/description`, 75, plainOnly);
  }

  options(value: unknown, path: string, min: number, max: number, plainOnly: boolean): void {
    if (!Array.isArray(value)) return this.fail('must provide an array', path);
    if (value.length < min) this.fail(`must provide at least ${min} items`, path);
    this.maxItems(value, max, path);
    value.forEach((o, i) => this.option(o, `${path}/${i}`, plainOnly));
  }

  confirm(value: unknown, path: string): void {
    if (value === undefined) return;
    if (!isObject(value)) return this.fail('must be a confirmation object', path);
    this.optionalText(value['title'], `${path}/title`, 100, true);
    this.text(value['text'], `${path}/text`, 300);
    this.optionalText(value['confirm'], `${path}/confirm`, 30, true);
    this.optionalText(value['deny'], `${path}/deny`, 30, true);
  }

  element(value: unknown, path: string, inInput = false): void {
    if (!isObject(value)) return this.fail('must be an element object', path);
    const type = value['type'];
    if (typeof type !== 'string' || !ELEMENT_TYPES.has(type)) return this.fail(`unsupported element type ${String(type)}`, `${path}/type`);
    if (type === 'file_input' && !inInput) return this.fail('file_input is only supported in input blocks', `${path}/type`);
    this.maxChars(value['action_id'], 255, `${path}/action_id`);
    this.optionalText(value['placeholder'], `${path}/placeholder`, 150, true);
    this.confirm(value['confirm'], `${path}/confirm`);
    switch (type) {
      case 'button':
        this.text(value['text'], `${path}/text`, 75, true);
        this.maxChars(value['value'], 2000, `${path}/value`);
        this.maxChars(value['url'], 3000, `${path}/url`);
        if (value['style'] !== undefined && value['style'] !== 'primary' && value['style'] !== 'danger') {
          this.fail('must be one of primary, danger', `${path}/style`);
        }
        break;
      case 'overflow':
        this.options(value['options'], `${path}/options`, 1, 5, true);
        break;
      case 'checkboxes':
      case 'radio_buttons':
        this.options(value['options'], `${path}/options`, 1, 10, false);
        break;
      case 'plain_text_input':
        this.maxChars(value['initial_value'], 3000, `${path}/initial_value`);
        for (const key of ['min_length', 'max_length'] as const) {
          const n = value[key];
          if (n !== undefined && (typeof n !== 'number' || n < 0 || n > 3000)) this.fail('must be between 0 and 3000', `${path}/${key}`);
        }
        break;
      case 'external_select':
      case 'multi_external_select': {
        // The options come from the app's options load URL; the element carries none of its own.
        if (value['options'] !== undefined || value['option_groups'] !== undefined)
          this.fail('external selects load their options from the app', path);
        const min = value['min_query_length'];
        if (min !== undefined && (typeof min !== 'number' || !Number.isInteger(min) || min < 0))
          this.fail('must be a non-negative integer', `${path}/min_query_length`);
        if (type === 'external_select') {
          if (value['initial_option'] !== undefined) this.option(value['initial_option'], `${path}/initial_option`, true);
        } else {
          if (value['initial_options'] !== undefined) this.options(value['initial_options'], `${path}/initial_options`, 1, 100, true);
          const max = value['max_selected_items'];
          if (max !== undefined && (typeof max !== 'number' || !Number.isInteger(max) || max < 1))
            this.fail('must be an integer of at least 1', `${path}/max_selected_items`);
        }
        break;
      }
      case 'file_input': {
        const types = value['filetypes'];
        if (types !== undefined) {
          if (!Array.isArray(types)) this.fail('must provide an array', `${path}/filetypes`);
          else
            types.forEach((t, i) =>
              typeof t !== 'string' || t === '' ? this.fail('must be a non-empty string', `${path}/filetypes/${i}`) : undefined,
            );
        }
        const files = value['max_files'];
        if (files !== undefined && (typeof files !== 'number' || !Number.isInteger(files) || files < 1 || files > 10))
          this.fail('must be between 1 and 10', `${path}/max_files`);
        break;
      }
      case 'number_input':
        // Slack requires this flag; omitting it is a classic invalid_arguments.
        if (typeof value['is_decimal_allowed'] !== 'boolean') this.fail('must provide a boolean', `${path}/is_decimal_allowed`);
        break;
      default:
        if (SELECTS_WITH_OPTIONS.has(type)) {
          if (value['options'] !== undefined) this.options(value['options'], `${path}/options`, 1, 100, true);
          else if (Array.isArray(value['option_groups'])) {
            this.maxItems(value['option_groups'], 100, `${path}/option_groups`);
            value['option_groups'].forEach((g, i) => {
              if (isObject(g)) {
                this.text(g['label'], `${path}/option_groups/${i}/label`, 75, true);
                this.options(g['options'], `${path}/option_groups/${i}/options`, 1, 100, true);
              }
            });
          } else this.fail('must provide options or option_groups', path);
        }
    }
  }

  block(block: unknown, path: string, blockIds: Set<string>): boolean {
    if (!isObject(block)) {
      this.fail('must be a block object', path);
      return false;
    }
    const type = block['type'];
    if (typeof type !== 'string' || !BLOCK_TYPES.has(type)) {
      this.fail(`unsupported block type ${String(type)}`, `${path}/type`);
      return false;
    }
    const blockId = block['block_id'];
    if (blockId !== undefined) {
      if (typeof blockId !== 'string' || blockId.length === 0) this.fail('must be a non-empty string', `${path}/block_id`);
      else {
        this.maxChars(blockId, 255, `${path}/block_id`);
        if (blockIds.has(blockId)) this.fail(`duplicate block_id ${blockId}`, `${path}/block_id`);
        blockIds.add(blockId);
      }
    }
    switch (type) {
      case 'section': {
        const fields = block['fields'];
        if (block['text'] === undefined && fields === undefined) this.fail('must provide text or fields', path);
        this.optionalText(block['text'], `${path}/text`, 3000);
        if (fields !== undefined) {
          if (!Array.isArray(fields)) this.fail('must provide an array', `${path}/fields`);
          else {
            this.maxItems(fields, 10, `${path}/fields`);
            fields.forEach((f, i) => this.text(f, `${path}/fields/${i}`, 2000));
          }
        }
        if (block['accessory'] !== undefined) this.element(block['accessory'], `${path}/accessory`);
        break;
      }
      case 'header':
        this.text(block['text'], `${path}/text`, 150, true);
        break;
      case 'context': {
        const elements = block['elements'];
        if (!Array.isArray(elements) || elements.length === 0) this.fail('must provide at least 1 item', `${path}/elements`);
        else {
          this.maxItems(elements, 10, `${path}/elements`);
          elements.forEach((e, i) => {
            if (isObject(e) && e['type'] !== 'image') this.text(e, `${path}/elements/${i}`, 3000);
          });
        }
        break;
      }
      case 'actions': {
        const elements = block['elements'];
        if (!Array.isArray(elements) || elements.length === 0) this.fail('must provide at least 1 item', `${path}/elements`);
        else {
          this.maxItems(elements, 25, `${path}/elements`);
          const actionIds = new Set<string>();
          elements.forEach((e, i) => {
            this.element(e, `${path}/elements/${i}`);
            const id = isObject(e) ? e['action_id'] : undefined;
            if (typeof id === 'string') {
              if (actionIds.has(id)) this.fail(`duplicate action_id ${id}`, `${path}/elements/${i}/action_id`);
              actionIds.add(id);
            }
          });
        }
        break;
      }
      case 'input':
        this.text(block['label'], `${path}/label`, 2000, true);
        this.optionalText(block['hint'], `${path}/hint`, 2000, true);
        if (block['element'] === undefined) this.fail('must provide an element', `${path}/element`);
        else this.element(block['element'], `${path}/element`, true);
        return true;
      case 'image':
        if (block['image_url'] === undefined && block['slack_file'] === undefined) this.fail('must provide image_url or slack_file', path);
        this.maxChars(block['image_url'], 3000, `${path}/image_url`);
        if (typeof block['alt_text'] !== 'string') this.fail('must provide a string', `${path}/alt_text`);
        this.maxChars(block['alt_text'], 2000, `${path}/alt_text`);
        this.optionalText(block['title'], `${path}/title`, 2000, true);
        break;
      case 'markdown':
        if (typeof block['text'] !== 'string' || block['text'].length === 0) this.fail('must provide a non-empty string', `${path}/text`);
        this.maxChars(block['text'], 12000, `${path}/text`);
        break;
    }
    return false;
  }

  /** Returns whether any input block was seen (modals then need a submit button). */
  blocks(blocks: unknown, path: string, max: number): boolean {
    if (!Array.isArray(blocks)) {
      this.fail('must provide an array', path);
      return false;
    }
    this.maxItems(blocks, max, path);
    const blockIds = new Set<string>();
    let hasInput = false;
    blocks.forEach((b, i) => {
      if (this.block(b, `${path}/${i}`, blockIds)) hasInput = true;
    });
    return hasInput;
  }
}

/** Errors for a message's `blocks` (chat.postMessage / update / postEphemeral / response_url). */
export function validateMessageBlocks(blocks: unknown): string[] {
  const c = new Checker();
  c.blocks(blocks, '/blocks', MAX_MESSAGE_BLOCKS);
  return c.errors;
}

/** Errors for a view payload (views.open/update/push: modal; views.publish: home). */
export function validateView(view: unknown, expectedType?: 'modal' | 'home'): string[] {
  const c = new Checker();
  if (!isObject(view)) {
    c.fail('must provide an object', '/view');
    return c.errors;
  }
  const type = view['type'];
  if (type !== 'modal' && type !== 'home') c.fail('must be one of modal, home', '/view/type');
  else if (expectedType !== undefined && type !== expectedType) c.fail(`must be ${expectedType}`, '/view/type');
  const hasInput = c.blocks(view['blocks'], '/view/blocks', MAX_VIEW_BLOCKS);
  c.maxChars(view['private_metadata'], 3000, '/view/private_metadata');
  c.maxChars(view['callback_id'], 255, '/view/callback_id');
  c.maxChars(view['external_id'], 255, '/view/external_id');
  if (type === 'modal') {
    if (view['title'] === undefined) c.fail('must provide an object', '/view/title');
    else c.text(view['title'], '/view/title', 24, true);
    c.optionalText(view['submit'], '/view/submit', 24, true);
    c.optionalText(view['close'], '/view/close', 24, true);
    if (hasInput && view['submit'] === undefined) c.fail('must provide submit when the view contains input blocks', '/view/submit');
  }
  return c.errors;
}

/** Errors for an options load response (block_suggestion): ≤ 100 plain_text options, or ≤ 100 groups of them. */
export function validateOptionsResponse(body: unknown): string[] {
  const c = new Checker();
  if (!isObject(body)) {
    c.fail('must provide an object', '');
    return c.errors;
  }
  if (body['options'] !== undefined) c.options(body['options'], '/options', 0, 100, true);
  else if (Array.isArray(body['option_groups'])) {
    c.maxItems(body['option_groups'], 100, '/option_groups');
    body['option_groups'].forEach((g, i) => {
      if (!isObject(g)) return c.fail('must be an option group', `/option_groups/${i}`);
      c.text(g['label'], `/option_groups/${i}/label`, 75, true);
      c.options(g['options'], `/option_groups/${i}/options`, 1, 100, true);
    });
  } else c.fail('must provide options or option_groups', '');
  return c.errors;
}

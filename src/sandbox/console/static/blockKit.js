// Block Kit → DOM for the local console. Every text from the bot, people, hosts or ServiceNow goes
// through textContent or a DOM property: nothing from data is ever parsed as HTML.

/** @param {string} tag @param {Record<string, string>} [attrs] @param {(Node|string)[]} [children] */
export const el = (tag, attrs = {}, children = []) => {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(typeof child === 'string' ? document.createTextNode(child) : child);
  return node;
};

const ENTITIES = { '&amp;': '&', '&lt;': '<', '&gt;': '>', '&quot;': '"', '&#39;': "'" };
const decode = (s) => s.replace(/&(amp|lt|gt|quot|#39);/g, (m) => ENTITIES[m] ?? m);

/** Safe link: only http(s) targets become links; anything else is shown as text. */
const link = (url, label) => {
  let parsed;
  try {
    parsed = new URL(url);
  } catch {
    return document.createTextNode(label);
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return document.createTextNode(label);
  const a = el('a', { target: '_blank', rel: 'noopener noreferrer' }, [label]);
  a.href = parsed.href;
  return a;
};

// The emoji the bot uses, as plain symbols most fonts have (a headless browser often has no emoji font);
// Slack shows the rest as their :code:.
const EMOJI = {
  large_green_circle: ['●', 'green'],
  red_circle: ['●', 'red'],
  large_orange_circle: ['●', 'orange'],
  white_circle: ['○', 'grey'],
  white_check_mark: ['✔', 'green'],
  ballot_box_with_check: ['☑', 'green'],
  x: ['✖', 'red'],
  no_entry: ['⊘', 'red'],
  no_entry_sign: ['⊘', 'red'],
  octagonal_sign: ['■', 'red'],
  warning: ['⚠', 'orange'],
  snowflake: ['❄', 'blue'],
  sunny: ['☀', 'orange'],
  hourglass_flowing_sand: ['⧗', 'grey'],
  hourglass: ['⧗', 'grey'],
  alarm_clock: ['⏲', 'grey'],
  grey_question: ['?', 'grey'],
  arrows_counterclockwise: ['↻', 'blue'],
  skull: ['☠', 'red'],
  rocket: ['➚', 'blue'],
  outbox_tray: ['⇪', 'blue'],
  memo: ['✎', 'grey'],
  heavy_minus_sign: ['−', 'grey'],
  electric_plug: ['⚡', 'orange'],
  bar_chart: ['▥', 'blue'],
  black_square_for_stop: ['■', 'grey'],
  double_vertical_bar: ['‖', 'orange'],
  calendar: ['▦', 'blue'],
  page_facing_up: ['▤', 'grey'],
  repeat: ['↻', 'blue'],
  scissors: ['✂', 'grey'],
  wastebasket: ['⌫', 'grey'],
};

const emojiNode = (code) => {
  const emoji = Object.hasOwn(EMOJI, code) ? EMOJI[code] : undefined;
  return emoji ? el('span', { class: `emoji emoji-${emoji[1]}`, title: `:${code}:` }, [emoji[0]]) : document.createTextNode(`:${code}:`);
};

const pad = (n) => String(n).padStart(2, '0');
/** `<!date^epoch^format|fallback>` in the reader's time zone, as Slack shows it; the fallback when it cannot be read. */
const slackDate = (target, fallback) => {
  const [, epoch, format = ''] = target.split('^');
  const d = new Date(Number(epoch) * 1000);
  if (!/^\d+$/.test(epoch ?? '') || Number.isNaN(d.getTime())) return fallback;
  const day = (opts) => d.toLocaleDateString(undefined, opts);
  const tokens = {
    date_num: `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`,
    date: day({ month: 'long', day: 'numeric', year: 'numeric' }),
    date_short: day({ month: 'short', day: 'numeric', year: 'numeric' }),
    date_long: day({ weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' }),
    date_pretty: day({ month: 'long', day: 'numeric', year: 'numeric' }),
    date_short_pretty: day({ month: 'short', day: 'numeric', year: 'numeric' }),
    date_long_pretty: day({ weekday: 'long', month: 'long', day: 'numeric', year: 'numeric' }),
    time: `${pad(d.getHours())}:${pad(d.getMinutes())}`,
    time_secs: `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`,
  };
  return format.replace(/\{([a-z_]+)\}/g, (m, t) => (Object.hasOwn(tokens, t) ? tokens[t] : m)) || fallback;
};

/** Inline mrkdwn: :emoji:, `code`, *bold*, _italic_, ~strike~ (at word edges), <links|label>, <@U…>, <#C…|name>, <!here>. */
const inline = (text, ctx) => {
  const out = [];
  const pattern =
    /:([a-z0-9_+-]+):|`([^`\n]+)`|(?<![\w*])\*([^*\n]+)\*(?![\w*])|(?<![\w_])_([^_\n]+)_(?![\w_])|(?<![\w~])~([^~\n]+)~(?![\w~])|<([^<>\n]+)>/g;
  let last = 0;
  for (let m = pattern.exec(text); m; m = pattern.exec(text)) {
    if (m.index > last) out.push(document.createTextNode(decode(text.slice(last, m.index))));
    last = pattern.lastIndex;
    if (m[1] !== undefined) out.push(emojiNode(m[1]));
    else if (m[2] !== undefined) out.push(el('code', {}, [decode(m[2])]));
    else if (m[3] !== undefined) out.push(el('b', {}, inline(m[3], ctx)));
    else if (m[4] !== undefined) out.push(el('i', {}, inline(m[4], ctx)));
    else if (m[5] !== undefined) out.push(el('s', {}, inline(m[5], ctx)));
    else {
      const [target, label] = m[6].split('|', 2);
      if (target.startsWith('@')) out.push(el('span', { class: 'mention' }, [`@${ctx.userName(target.slice(1))}`]));
      else if (target.startsWith('#'))
        out.push(el('span', { class: 'mention' }, [`#${decode(label ?? ctx.channelName(target.slice(1)))}`]));
      else if (target.startsWith('!date^'))
        out.push(el('time', { title: decode(label ?? '') }, [slackDate(target, decode(label ?? target))]));
      else if (target.startsWith('!')) out.push(el('span', { class: 'mention' }, [`@${decode(label ?? target.slice(1).split('^')[0])}`]));
      else out.push(link(decode(target), decode(label ?? target)));
    }
  }
  if (last < text.length) out.push(document.createTextNode(decode(text.slice(last))));
  return out;
};

/** mrkdwn text (Slack's flavour) as DOM nodes. */
export const mrkdwn = (text, ctx) => {
  const root = el('div', { class: 'mrkdwn' });
  const parts = String(text).split(/```/);
  parts.forEach((part, i) => {
    if (i % 2 === 1) {
      root.append(el('pre', {}, [decode(part.replace(/^\n/, ''))]));
      return;
    }
    part.split('\n').forEach((line, j, lines) => {
      if (line.startsWith('&gt; ') || line.startsWith('> '))
        root.append(el('div', { class: 'blockquote' }, inline(line.replace(/^(&gt;|>) /, ''), ctx)));
      else {
        root.append(...inline(line, ctx));
        if (j < lines.length - 1) root.append(el('br'));
      }
    });
  });
  return root;
};

/** A text object: plain_text as text, mrkdwn formatted. */
export const textObject = (t, ctx) => {
  if (!t || typeof t !== 'object') return el('span');
  return t.type === 'mrkdwn' ? mrkdwn(t.text ?? '', ctx) : el('span', {}, [String(t.text ?? '')]);
};

const plain = (t) => (t && typeof t === 'object' ? String(t.text ?? '') : '');

/** plain_text as Slack shows it: verbatim, except :emoji: codes unless `emoji: false`. */
const plainNodes = (t) => {
  const text = plain(t);
  if (t?.emoji === false) return [text];
  const out = [];
  let last = 0;
  for (const m of text.matchAll(/:([a-z0-9_+-]+):/g)) {
    if (!Object.hasOwn(EMOJI, m[1])) continue;
    out.push(text.slice(last, m.index), emojiNode(m[1]));
    last = m.index + m[0].length;
  }
  out.push(text.slice(last));
  return out.filter((n) => n !== '');
};

/**
 * Renders blocks. ctx: { userName, channelName, onAction(element, blockId, value), form } — `form` (a
 * modal's) collects input elements: form.register(actionId, type, read, write, block).
 */
export const renderBlocks = (blocks, ctx) => {
  const root = el('div', { class: 'blocks' });
  (Array.isArray(blocks) ? blocks : []).forEach((block, index) => {
    if (!block || typeof block !== 'object') return;
    const blockId = typeof block.block_id === 'string' ? block.block_id : `gen${index}`;
    const node = el('div', { class: `block block-${String(block.type)}`, 'data-block-id': blockId });
    switch (block.type) {
      case 'header':
        node.classList.add('block-header');
        node.append(...plainNodes(block.text));
        break;
      case 'section':
        if (block.text) node.append(textObject(block.text, ctx));
        if (Array.isArray(block.fields))
          node.append(
            el(
              'div',
              { class: 'fields' },
              block.fields.map((f) => el('div', {}, [textObject(f, ctx)])),
            ),
          );
        if (block.accessory) node.append(element(block.accessory, blockId, ctx));
        break;
      case 'context':
        node.append(
          el(
            'div',
            { class: 'context' },
            (block.elements ?? []).map((e) =>
              e.type === 'image' ? el('span', {}, [`[${String(e.alt_text ?? 'image')}]`]) : textObject(e, ctx),
            ),
          ),
        );
        break;
      case 'divider':
        node.append(el('hr', { class: 'divider' }));
        break;
      case 'actions':
        node.append(
          el(
            'div',
            { class: 'actions' },
            (block.elements ?? []).map((e) => element(e, blockId, ctx)),
          ),
        );
        break;
      case 'input':
        node.append(inputBlock(block, blockId, ctx));
        break;
      case 'file':
        node.append(el('span', { class: 'file-link' }, [`📄 file ${String(block.file_id ?? block.external_id ?? '')}`]));
        break;
      case 'rich_text':
        node.append(el('div', {}, [richText(block)]));
        break;
      default:
        node.append(el('span', { class: 'meta' }, [`(${String(block.type)} block)`]));
    }
    root.append(node);
  });
  return root;
};

const richText = (block) => {
  const texts = [];
  const walk = (n) => {
    if (!n || typeof n !== 'object') return;
    if (typeof n.text === 'string') texts.push(n.text);
    if (Array.isArray(n.elements)) n.elements.forEach(walk);
  };
  walk(block);
  return el('span', {}, [texts.join('')]);
};

const optionsOf = (e) => [...(e.options ?? []), ...(e.option_groups ?? []).flatMap((g) => g.options ?? [])];

/** A select built from options; multiple for multi selects. Returns [node, read, write]. */
const selectOf = (e, multiple) => {
  const select = el('select', multiple ? { multiple: '' } : {});
  if (!multiple) select.append(el('option', { value: '' }, [plain(e.placeholder) || 'Choose…']));
  for (const o of optionsOf(e)) {
    const option = el('option', {}, [plain(o.text)]);
    option.value = String(o.value);
    select.append(option);
  }
  const initial = multiple ? (e.initial_options ?? []).map((o) => o.value) : e.initial_option ? [e.initial_option.value] : [];
  for (const option of select.options) option.selected = initial.includes(option.value);
  const read = () => (multiple ? [...select.selectedOptions].map((o) => o.value) : select.value || null);
  const write = (v) => {
    const values = Array.isArray(v) ? v : [v];
    for (const option of select.options) option.selected = values.includes(option.value);
  };
  return [select, read, write];
};

/**
 * external_select: typing asks the bot's options handler (a block_suggestion, through the relay) once the
 * text is min_query_length long (Slack's default 3; 0 asks on focus); picking an option is the change.
 */
const externalOf = (e, blockId, ctx, multiple) => {
  const chosen = [];
  const min = Number.isInteger(e.min_query_length) ? e.min_query_length : 3;
  const max = multiple && Number.isInteger(e.max_selected_items) ? e.max_selected_items : Infinity;
  const wrap = el('div', { class: 'external', 'data-external': String(e.action_id ?? '') });
  const chips = el('div', { class: 'chips' });
  const box = el('input', {
    type: 'text',
    placeholder: plain(e.placeholder) || 'Type to search…',
    'aria-label': plain(e.placeholder) || String(e.action_id ?? ''),
    autocomplete: 'off',
  });
  const list = el('div', { class: 'suggestions', role: 'listbox' });
  list.hidden = true;
  const changed = () => wrap.dispatchEvent(new window.Event('change'));
  const draw = () =>
    chips.replaceChildren(
      ...chosen.map((c, i) => {
        const remove = el('button', { type: 'button', class: 'chip-remove', 'aria-label': `Remove ${c.text}` }, ['×']);
        remove.addEventListener('click', () => {
          chosen.splice(i, 1);
          draw();
          changed();
        });
        return el('span', { class: 'chip', 'data-value': c.value }, [...plainNodes({ text: c.text }), multiple ? remove : '']);
      }),
    );
  let asked = 0;
  const ask = async () => {
    const query = box.value;
    if ([...query].length < min || !ctx.suggest) {
      list.hidden = true;
      return;
    }
    const mine = ++asked;
    const answer = await ctx.suggest(e.action_id, blockId, query);
    if (mine !== asked) return; // a later keystroke asked again
    const options = [...(answer?.options ?? []), ...(answer?.option_groups ?? []).flatMap((g) => g.options ?? [])];
    list.replaceChildren(
      ...(options.length
        ? options.map((o) => {
            const b = el('button', { type: 'button', role: 'option', 'data-value': String(o.value) }, plainNodes(o.text));
            b.addEventListener('click', () => {
              // A pick ends the search: a keystroke's pending or in-flight request must not reopen the list.
              clearTimeout(timer);
              asked += 1;
              if (!multiple) chosen.length = 0;
              if (!chosen.some((c) => c.value === String(o.value)) && chosen.length < max)
                chosen.push({ value: String(o.value), text: plain(o.text) });
              list.hidden = true;
              box.value = '';
              draw();
              changed();
            });
            return b;
          })
        : [el('div', { class: 'meta' }, ['No results'])]),
    );
    list.hidden = false;
  };
  let timer;
  box.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(() => void ask(), 250);
  });
  box.addEventListener('focus', () => void ask());
  // Leaving the select (not for one of its options) closes the list, as Slack's menu closes.
  wrap.addEventListener('focusout', (event) => {
    if (wrap.contains(event.relatedTarget)) return;
    clearTimeout(timer);
    asked += 1;
    list.hidden = true;
  });
  // The typing itself is no change of the select's value.
  box.addEventListener('change', (event) => event.stopPropagation());
  wrap.append(chips, box, list);
  const read = () => (multiple ? chosen.map((c) => c.value) : (chosen[0]?.value ?? null));
  const write = (v) => {
    const texts = new Map(chosen.map((c) => [c.value, c.text]));
    chosen.length = 0;
    for (const value of Array.isArray(v) ? v : v === null || v === undefined ? [] : [v])
      chosen.push({ value, text: texts.get(value) ?? value });
    draw();
  };
  const initial = multiple ? (e.initial_options ?? []) : e.initial_option ? [e.initial_option] : [];
  for (const o of initial) chosen.push({ value: String(o.value), text: plain(o.text) });
  draw();
  return [wrap, read, write];
};

/**
 * file_input: the chosen local file is registered with the simulated Slack as this person's upload (as Slack
 * does on choosing); the value is its file id, which the bot reads with files.info and the private download.
 */
const fileInputOf = (e, ctx) => {
  const ids = [];
  const wrap = el('div', { class: 'file-input' });
  const input = el('input', { type: 'file' });
  if (Array.isArray(e.filetypes)) input.accept = e.filetypes.map((t) => `.${t}`).join(',');
  const status = el('span', { class: 'meta', 'data-file-status': '' });
  input.addEventListener('change', () => {
    const file = input.files?.[0];
    ids.length = 0;
    status.textContent = '';
    if (!file || !ctx.upload) return;
    status.textContent = 'Uploading…';
    void ctx.upload(file).then((answer) => {
      if (answer?.ok) {
        ids.push(answer.file.id);
        status.textContent = `Uploaded ${answer.file.name} (${formatSize(file.size)})`;
      } else status.textContent = String(answer?.error ?? 'Upload failed');
    });
  });
  input.addEventListener('change', (event) => event.stopPropagation());
  wrap.append(input, ' ', status);
  const read = () => [...ids];
  const write = (v) => {
    ids.length = 0;
    ids.push(...(Array.isArray(v) ? v : []));
    if (ids.length) status.textContent = `Uploaded (${ids.join(', ')})`;
  };
  return [wrap, read, write];
};

/** A file size as Slack shows it. */
export const formatSize = (bytes) =>
  bytes < 1024 ? `${bytes} B` : bytes < 1024 * 1024 ? `${(bytes / 1024).toFixed(1)} KB` : `${(bytes / 1024 / 1024).toFixed(1)} MB`;

const choicesOf = (e, kind) => {
  const wrap = el('div', { class: 'choices' });
  const name = `${e.action_id}-${Math.random().toString(36).slice(2)}`;
  const initial = kind === 'checkbox' ? (e.initial_options ?? []).map((o) => o.value) : e.initial_option ? [e.initial_option.value] : [];
  const inputs = (e.options ?? []).map((o) => {
    const input = el('input', { type: kind, name });
    input.value = String(o.value);
    input.checked = initial.includes(o.value);
    wrap.append(el('label', { class: 'choice' }, [input, ' ', plain(o.text)]));
    return input;
  });
  const read = () => {
    const values = inputs.filter((i) => i.checked).map((i) => i.value);
    return kind === 'checkbox' ? values : (values[0] ?? null);
  };
  const write = (v) => {
    const values = Array.isArray(v) ? v : [v];
    for (const input of inputs) input.checked = values.includes(input.value);
  };
  return [wrap, read, write];
};

/** An interactive element; in a modal the stateful ones register with the form. */
const element = (e, blockId, ctx) => {
  if (!e || typeof e !== 'object') return el('span');
  if (e.type === 'button') {
    const b = el(
      'button',
      {
        type: 'button',
        class: `btn ${e.style === 'primary' ? 'primary' : e.style === 'danger' ? 'danger' : ''}`,
        'data-action-id': String(e.action_id ?? ''),
      },
      plainNodes(e.text),
    );
    if (typeof e.url === 'string') {
      const a = link(e.url, plain(e.text));
      if (a.tagName === 'A') a.className = 'btn';
      return a;
    }
    b.addEventListener('click', () => void ctx.onAction(e, blockId, e.value));
    return b;
  }
  if (e.type === 'image') return el('span', {}, [`[${String(e.alt_text ?? 'image')}]`]);
  const control = stateful(e, blockId, ctx);
  if (!control) return el('span', { class: 'meta' }, [`(${String(e.type)})`]);
  const [node, read, write] = control;
  ctx.form?.register(e.action_id, e.type, read, write, blockId);
  // Outside input blocks, Slack sends block_actions as soon as the value changes.
  node.addEventListener('change', () => void ctx.onAction(e, blockId, read()));
  return node;
};

const stateful = (e, blockId, ctx) => {
  switch (e.type) {
    case 'static_select':
      return selectOf(e, false);
    case 'multi_static_select':
      return selectOf(e, true);
    case 'overflow':
      return selectOf({ ...e, placeholder: { text: '⋯' } }, false);
    case 'external_select':
      return externalOf(e, blockId, ctx, false);
    case 'multi_external_select':
      return externalOf(e, blockId, ctx, true);
    case 'checkboxes':
      return choicesOf(e, 'checkbox');
    case 'radio_buttons':
      return choicesOf(e, 'radio');
    default:
      return undefined;
  }
};

const inputBlock = (block, blockId, ctx) => {
  const e = block.element ?? {};
  const wrap = el('div', { class: 'input-block' });
  const id = `in-${blockId}`;
  wrap.append(el('label', { for: id }, [plain(block.label), block.optional ? el('span', { class: 'meta' }, [' (optional)']) : '']));
  let node;
  let read;
  let write;
  switch (e.type) {
    case 'plain_text_input':
    case 'email_text_input':
    case 'url_text_input':
    case 'number_input': {
      node = e.multiline ? el('textarea') : el('input', { type: e.type === 'number_input' ? 'number' : 'text' });
      if (e.type === 'number_input' && e.is_decimal_allowed) node.setAttribute('step', 'any');
      if (e.placeholder) node.placeholder = plain(e.placeholder);
      if (e.initial_value !== undefined) node.value = String(e.initial_value);
      read = () => (node.value === '' ? null : node.value);
      write = (v) => {
        node.value = v ?? '';
      };
      break;
    }
    case 'file_input':
      [node, read, write] = fileInputOf(e, ctx);
      break;
    default: {
      const control = stateful(e, blockId, ctx);
      if (!control) {
        node = el('span', { class: 'meta' }, [`(${String(e.type)})`]);
        break;
      }
      [node, read, write] = control;
    }
  }
  node.id = id;
  wrap.append(node);
  if (read) ctx.form?.register(e.action_id, e.type, read, write, blockId);
  if (block.dispatch_action && read) node.addEventListener('change', () => void ctx.onAction(e, blockId, read()));
  if (block.hint) wrap.append(el('div', { class: 'hint-text' }, [plain(block.hint)]));
  wrap.append(el('div', { class: 'error', 'data-error-for': blockId }));
  return wrap;
};

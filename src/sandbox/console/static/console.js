// The local console: a Slack-like page. It shows what the simulated Slack holds (messages the bot
// posted, its modals and App Home) and sends what a person does to the console's relay, which turns
// it into the signed request Slack would send the bot.
import { el, formatSize, mrkdwn, renderBlocks } from '/console/blockKit.js';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
let state;
let me = params.get('user') || localStorage.getItem('pcm-console-user') || 'U0OPERATOR';
let view = params.get('view') || 'C0OPSCHAN';
let openThread = null;
let shown = { timeline: '', thread: '', modal: '', fleet: '' };
const homeOpened = new Set();

const toast = (text) => {
  const t = $('toast');
  t.textContent = text;
  t.hidden = false;
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => (t.hidden = true), 6000);
};

const post = async (path, body) => {
  const response = await fetch(`/console/api/${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ user: me, ...body }),
  });
  const answer = await response.json().catch(() => ({ ok: false, error: `HTTP ${response.status}` }));
  if (!answer.ok) toast(answer.error ?? 'failed');
  void refresh();
  return answer;
};

const ctxBase = () => ({
  userName: (id) => state?.users.find((u) => u.id === id)?.name ?? id,
  channelName: (id) => state?.channels.find((c) => c.id === id)?.name ?? id,
});

/** A confirm dialog (Block Kit `confirm`); resolves true on confirm. */
const confirmDialog = (confirm) =>
  new Promise((resolve) => {
    const layer = $('dialog-layer');
    const yes = el('button', { type: 'button', class: `btn ${confirm.style === 'danger' ? 'danger' : 'primary'}` }, [
      String(confirm.confirm?.text ?? 'Yes'),
    ]);
    const no = el('button', { type: 'button', class: 'btn' }, [String(confirm.deny?.text ?? 'Cancel')]);
    const finish = (v) => {
      layer.hidden = true;
      layer.replaceChildren();
      resolve(v);
    };
    yes.addEventListener('click', () => finish(true));
    no.addEventListener('click', () => finish(false));
    const body =
      confirm.text?.type === 'mrkdwn' ? mrkdwn(confirm.text.text ?? '', ctxBase()) : el('p', {}, [String(confirm.text?.text ?? '')]);
    layer.replaceChildren(
      el('div', { class: 'dialog', role: 'dialog', 'aria-label': String(confirm.title?.text ?? 'Confirm') }, [
        el('h2', {}, [String(confirm.title?.text ?? 'Are you sure?')]),
        body,
        el('footer', {}, [no, yes]),
      ]),
    );
    layer.hidden = false;
  });

const withConfirm = async (element, run) => {
  if (element.confirm && !(await confirmDialog(element.confirm))) return;
  await run();
};

// ------------------------------------------------------------------ messages

const fileLink = (f) => {
  const a = el('a', { class: 'file-link', 'data-file-id': f.id, download: '' }, [
    el('span', { class: 'file-icon' }, ['▤']),
    el('span', { class: 'file-title' }, [f.title]),
    el('span', { class: 'meta' }, [` ${f.name === f.title ? '' : `${f.name} · `}${formatSize(f.size)}`]),
  ]);
  a.href = `/console/api/file?id=${encodeURIComponent(f.id)}&user=${encodeURIComponent(me)}`;
  return a;
};

const messageNode = (m, channel, { inThread, replies, ephemeral }) => {
  const ctx = {
    ...ctxBase(),
    onAction: (element, blockId, value) =>
      withConfirm(element, () =>
        post('action', {
          channel: channel.id,
          ts: m.ts,
          ephemeral: Boolean(ephemeral),
          actionId: element.action_id,
          blockId,
          ...(value !== undefined ? { value } : {}),
        }),
      ),
    suggest: async (actionId, blockId, query) =>
      (await post('suggest', { channel: channel.id, ts: m.ts, ephemeral: Boolean(ephemeral), actionId, blockId, query })).options,
  };
  const node = el('article', { class: `message${ephemeral ? ' ephemeral' : ''}`, 'data-ts': m.ts });
  node.append(
    el('div', { class: 'meta' }, [
      el('b', {}, ['pcm-ops-bot']),
      ephemeral ? 'Only visible to you' : new Date(m.postedAt ?? Number(m.ts) * 1000).toLocaleTimeString(),
      m.edited ? ' (edited)' : '',
    ]),
  );
  // Slack shows the blocks when there are any, else the text.
  if (m.blocks?.length) node.append(renderBlocks(m.blocks, ctx));
  else if (m.text) node.append(mrkdwn(m.text, ctx));
  // Files the bot shared: a download served by the console (always as an attachment).
  for (const f of m.files ?? []) node.append(fileLink(f));
  if (!inThread && replies > 0) {
    const open = el('button', { type: 'button', class: 'thread-link' }, [`${replies} ${replies === 1 ? 'reply' : 'replies'}`]);
    open.addEventListener('click', () => {
      openThread = { channel: channel.id, ts: m.ts };
      shown.thread = '';
      render();
    });
    node.append(open);
  }
  return node;
};

// Each message's DOM is kept while the message is unchanged, so an update elsewhere (a run's live message) does
// not take away what a person is doing in another one (typing in an external select, a focused button).
let messageCache = new Map();
const cachedMessage = (m, channel, options) => {
  const key = `${channel.id}/${m.ts}/${options.ephemeral ? 'e' : ''}/${options.inThread ? 't' : ''}`;
  const digest = JSON.stringify([me, m, options]);
  const hit = messageCache.get(key);
  if (hit?.digest === digest) return hit.node;
  const node = messageNode(m, channel, options);
  messageCache.set(key, { digest, node });
  return node;
};

/** Puts `nodes` in `container` in order, moving only what changed (a moved or removed node loses its focus). */
const reconcile = (container, nodes) => {
  nodes.forEach((node, i) => {
    if (container.children[i] !== node) container.insertBefore(node, container.children[i] ?? null);
  });
  while (container.children.length > nodes.length) container.lastElementChild.remove();
};

const renderTimeline = (channel) => {
  const digest = JSON.stringify([me, channel]);
  if (digest === shown.timeline) return;
  shown.timeline = digest;
  const timeline = $('timeline');
  const atBottom = timeline.scrollHeight - timeline.scrollTop - timeline.clientHeight < 40;
  const top = channel.messages.filter((m) => !m.threadTs || m.threadTs === m.ts);
  const items = [
    ...top.map((m) => ({
      ts: m.ts,
      node: cachedMessage(m, channel, { replies: channel.messages.filter((r) => r.threadTs === m.ts && r.ts !== m.ts).length }),
    })),
    ...channel.ephemerals.filter((e) => !e.threadTs).map((e) => ({ ts: e.ts, node: cachedMessage(e, channel, { ephemeral: true }) })),
  ].sort((a, b) => Number(a.ts) - Number(b.ts));
  reconcile(
    timeline,
    items.length
      ? items.map((i) => i.node)
      : [el('p', { class: 'meta' }, ['No messages yet. Type /qc-prep below to request an Initial QC.'])],
  );
  if (atBottom) timeline.scrollTop = timeline.scrollHeight;
};

const renderThread = () => {
  const pane = $('thread-pane');
  const channel = openThread && state.channels.find((c) => c.id === openThread.channel);
  const parent = channel?.messages.find((m) => m.ts === openThread.ts);
  if (!parent) {
    pane.hidden = true;
    return;
  }
  pane.hidden = false;
  const replies = channel.messages.filter((m) => m.threadTs === parent.ts && m.ts !== parent.ts);
  const ephemerals = channel.ephemerals.filter((e) => e.threadTs === parent.ts);
  const digest = JSON.stringify([me, parent, replies, ephemerals]);
  if (digest === shown.thread) return;
  shown.thread = digest;
  $('thread-title').textContent = `Thread in #${channel.name}`;
  reconcile($('thread'), [
    cachedMessage(parent, channel, { inThread: true }),
    ...replies.map((r) => cachedMessage(r, channel, { inThread: true })),
    ...ephemerals.map((e) => cachedMessage(e, channel, { inThread: true, ephemeral: true })),
  ]);
};

// ------------------------------------------------------------------ modal

let form = null;

const renderModal = () => {
  const layer = $('modal-layer');
  const modal = state.modal;
  if (!modal) {
    layer.hidden = true;
    layer.replaceChildren();
    shown.modal = '';
    form = null;
    return;
  }
  const digest = `${me}/${modal.id}/${modal.hash}`;
  if (digest === shown.modal) return;
  // Keep what the person typed in inputs the update kept (Slack does too).
  const before = form?.viewId === modal.id ? form.values() : {};
  shown.modal = digest;
  const fields = new Map();
  form = {
    viewId: modal.id,
    register: (actionId, type, read, write, blockId) => fields.set(actionId, { type, read, write, blockId }),
    values: () => Object.fromEntries([...fields].map(([id, f]) => [id, f.read()])),
  };
  const ctx = {
    ...ctxBase(),
    form,
    onAction: (element, blockId, value) =>
      withConfirm(element, () =>
        post('action', {
          viewId: modal.id,
          actionId: element.action_id,
          blockId,
          values: form.values(),
          ...(value !== undefined ? { value } : {}),
        }),
      ),
    suggest: async (actionId, blockId, query) => (await post('suggest', { viewId: modal.id, actionId, blockId, query })).options,
    upload: async (file) =>
      file.size > 200_000
        ? { ok: false, error: 'The console takes target files up to 200 KB.' }
        : post('upload', { name: file.name, content: await file.text() }),
  };
  const body = el('div', { class: 'body' }, [renderBlocks(modal.blocks, ctx)]);
  for (const [id, value] of Object.entries(before)) if (value !== null && fields.get(id)?.write) fields.get(id).write(value);
  const buttons = [];
  const close = el('button', { type: 'button', class: 'btn' }, [String(modal.close?.text ?? 'Cancel')]);
  close.addEventListener('click', () => void post('close', { viewId: modal.id }));
  buttons.push(close);
  if (modal.submit) {
    const submit = el('button', { type: 'submit', class: 'btn primary' }, [String(modal.submit.text ?? 'Submit')]);
    buttons.push(submit);
  }
  const dialog = el(
    'form',
    {
      class: 'modal',
      role: 'dialog',
      'aria-label': String(modal.title?.text ?? 'Modal'),
      'data-view-id': modal.id,
      'data-callback-id': modal.callback_id,
    },
    [el('header', {}, [String(modal.title?.text ?? '')]), body, el('footer', {}, buttons)],
  );
  dialog.addEventListener('submit', (event) => {
    event.preventDefault();
    for (const node of dialog.querySelectorAll('[data-error-for]')) node.textContent = '';
    for (const node of dialog.querySelectorAll('.invalid')) node.classList.remove('invalid');
    void post('submit', { viewId: modal.id, values: form.values() }).then((answer) => {
      for (const [blockId, message] of Object.entries(answer.errors ?? {})) {
        const slot = [...dialog.querySelectorAll('[data-error-for]')].find((n) => n.dataset.errorFor === blockId);
        if (slot) {
          slot.textContent = message;
          slot.parentElement?.classList.add('invalid');
        } else toast(message);
      }
    });
  });
  layer.replaceChildren(dialog);
  layer.hidden = false;
};

// ------------------------------------------------------------------ App Home and fleet

const renderHome = () => {
  $('main-header').textContent = 'pcm-ops-bot · Home';
  const home = state.home;
  const digest = JSON.stringify([me, home?.id, home?.hash]);
  if (digest === shown.timeline) return;
  shown.timeline = digest;
  const ctx = {
    ...ctxBase(),
    onAction: (element, blockId, value) =>
      withConfirm(element, () =>
        post('action', { viewId: `home:${home.id}`, actionId: element.action_id, blockId, ...(value !== undefined ? { value } : {}) }),
      ),
  };
  $('timeline').replaceChildren(home ? renderBlocks(home.blocks, ctx) : el('p', { class: 'meta' }, ['Opening the App Home…']));
};

const showOutput = async (instanceId) => {
  const answer = await (await fetch(`/console/api/output?instance=${encodeURIComponent(instanceId)}`)).json();
  const run = answer.lastRun;
  const layer = $('dialog-layer');
  const close = el('button', { type: 'button', class: 'btn' }, ['Close']);
  close.addEventListener('click', () => {
    layer.hidden = true;
    layer.replaceChildren();
  });
  layer.replaceChildren(
    el('div', { class: 'dialog output-dialog', role: 'dialog', 'aria-label': `Output of ${answer.name ?? instanceId}` }, [
      el('h2', {}, [`${answer.name ?? instanceId}`]),
      run
        ? el('p', { class: 'meta' }, [`${run.tool} / ${run.action} · ${run.status} (exit ${String(run.exitCode)}) · ${run.at}`])
        : el('p', {}, ['No script has run on this instance yet.']),
      ...(run
        ? [
            el('pre', { class: 'output', 'data-stream': 'stdout' }, [run.stdout || '(no output)']),
            ...(run.stderr ? [el('pre', { class: 'output', 'data-stream': 'stderr' }, [run.stderr])] : []),
          ]
        : []),
      el('footer', {}, [close]),
    ]),
  );
  layer.hidden = false;
};

const renderFleet = () => {
  $('main-header').textContent = 'Fleet (simulated hosts running the real scripts)';
  const digest = JSON.stringify(state.fleet);
  if (digest === shown.fleet && shown.timeline === 'fleet') return;
  shown.fleet = digest;
  shown.timeline = 'fleet';
  const rows = state.fleet.map((i) => {
    const output = el('button', { type: 'button', class: 'btn', 'data-output': i.instanceId }, ['Output']);
    output.disabled = !i.lastRun;
    output.addEventListener('click', () => void showOutput(i.instanceId));
    const reboot = el('button', { type: 'button', class: 'btn', 'data-reboot': i.instanceId }, ['Reboot']);
    reboot.disabled = i.family === 'windows' || i.pingStatus !== 'Online' || i.busy;
    reboot.addEventListener(
      'click',
      () => void post('reboot', { instanceId: i.instanceId }).then((a) => a.ok && toast(`${i.name} rebooted into ${a.runningKernel}`)),
    );
    const last = i.lastRun
      ? el('span', { class: `status-${i.lastRun.status}` }, [`${i.lastRun.action} ${i.lastRun.status}`])
      : el('span', { class: 'meta' }, ['—']);
    return el('tr', { class: i.pingStatus === 'Online' ? '' : 'offline', 'data-instance': i.instanceId }, [
      el('td', {}, [i.name, el('br'), el('span', { class: 'meta' }, [i.instanceId])]),
      el('td', {}, [`${i.accountName}`, el('br'), el('span', { class: 'meta' }, [i.region])]),
      el('td', {}, [i.platform, el('br'), el('span', { class: 'meta' }, [i.runningKernel ?? ''])]),
      el('td', {}, [i.busy ? 'running…' : i.pingStatus]),
      el('td', {}, [
        Object.entries(i.tags)
          .filter(([k]) => k !== 'Name')
          .map(([k, v]) => `${k}=${v}`)
          .join(' '),
      ]),
      el('td', {}, [last]),
      el('td', {}, [output, ' ', reboot]),
    ]);
  });
  $('timeline').replaceChildren(
    el('p', { class: 'meta' }, [
      'Target them with instance ids, tags (tag:Role=web) or account/region. Kernel Staging sets the boot default; Reboot boots it, then Reboot Verification checks it.',
    ]),
    el('table', { class: 'fleet' }, [
      el('thead', {}, [
        el(
          'tr',
          {},
          ['Instance', 'Account', 'Platform / kernel', 'State', 'Tags', 'Last script', ''].map((h) => el('th', {}, [h])),
        ),
      ]),
      el('tbody', {}, rows),
    ]),
  );
};

// ------------------------------------------------------------------ shell

const render = () => {
  if (!state) return;
  const switcher = $('user-switcher');
  if (switcher.options.length === 0) {
    for (const u of state.users) {
      const option = el('option', {}, [`${u.name} (${u.role})`]);
      option.value = u.id;
      switcher.append(option);
    }
  }
  switcher.value = me;
  const datalist = $('slash-commands');
  if (datalist.options.length === 0) {
    for (const c of state.commands) {
      const option = el('option', {}, [`${c.description}${c.hint ? ` — ${c.hint}` : ''}`]);
      option.value = c.command;
      datalist.append(option);
    }
  }
  $('channel-list').replaceChildren(
    ...state.channels.map((c) => {
      const b = el('button', { type: 'button', class: `nav-item${view === c.id ? ' active' : ''}`, 'data-channel': c.id }, [
        c.id.startsWith('D') ? c.name : `# ${c.name}`,
      ]);
      b.addEventListener('click', () => go(c.id));
      return b;
    }),
  );
  $('open-home').classList.toggle('active', view === 'home');
  $('open-fleet').classList.toggle('active', view === 'fleet');
  $('hint').textContent =
    `Changes in ServiceNow:\n${state.changes.inWindow} in window\n${state.changes.outOfWindow} not yet open\n${state.changes.closed} closed`;
  $('composer').hidden = view === 'home' || view === 'fleet';
  if (view === 'home') renderHome();
  else if (view === 'fleet') renderFleet();
  else {
    const channel = state.channels.find((c) => c.id === view) ?? state.channels[0];
    $('main-header').textContent = channel.id.startsWith('D') ? channel.name : `# ${channel.name}`;
    renderTimeline(channel);
  }
  renderThread();
  renderModal();
};

const go = (where) => {
  view = where;
  shown.timeline = '';
  if (where === 'home' && !homeOpened.has(me)) {
    homeOpened.add(me);
    void post('home', {});
  }
  render();
};

let refreshing = false;
const refresh = async () => {
  if (refreshing) return;
  refreshing = true;
  try {
    const response = await fetch(`/console/api/state?user=${encodeURIComponent(me)}`);
    if (response.ok) {
      state = await response.json();
      render();
    }
  } catch {
    // the bot is restarting; the next poll tries again
  } finally {
    refreshing = false;
  }
};

$('user-switcher').addEventListener('change', (event) => {
  me = event.target.value;
  localStorage.setItem('pcm-console-user', me);
  shown = { timeline: '', thread: '', modal: '', fleet: '' };
  form = null;
  if (view === 'home') go('home');
  void refresh();
});
$('open-home').addEventListener('click', () => go('home'));
$('open-fleet').addEventListener('click', () => go('fleet'));
$('close-thread').addEventListener('click', () => {
  openThread = null;
  render();
});
$('composer').addEventListener('submit', (event) => {
  event.preventDefault();
  const box = $('message-box');
  const text = box.value.trim();
  if (!text) return;
  if (!text.startsWith('/')) {
    toast(`The bot answers slash commands: ${state?.commands.map((c) => c.command).join(', ') ?? '/qc-prep'}`);
    return;
  }
  box.value = '';
  void post('command', { channel: view, text });
});

void refresh();
setInterval(() => void refresh(), 800);

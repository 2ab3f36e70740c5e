// localcloud console: follows /api/events (server-sent events) and draws
// queues, in-flight countdowns, invocations and a step-3 style timeline.
// Plain JS, no framework. The server batches (a few updates a second at
// most); this page redraws once per batch and ticks the countdowns alone.
'use strict';

const MAX_INVOCATIONS = 2000; // kept in memory
const MAX_MESSAGES = 2000;
const SHOWN_INVOCATIONS = 100; // rows in the table
const SHOWN_IN_FLIGHT = 200;
const SHOWN_MESSAGES = 50;
const TIMELINE_MESSAGES = 12; // messages on the timeline
const TIMELINE_MAX_SPAN_MS = 5 * 60 * 1000;

const state = {
  offset: 0, // localcloud's clock minus this browser's
  queues: [],
  tables: [],
  caught: [],
  functions: [],
  invocations: new Map(), // request id -> invocation
  messages: new Map(), // message id -> message
  labels: 0,
  visibilityChanges: [],
  goneDeletes: [],
  missed: { events: 0, logs: 0 },
  openLogs: new Set(),
  dirty: false,
};

const $ = (selector) => document.querySelector(selector);
const serverNow = () => Date.now() + state.offset;

function el(tag, attrs, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs || {})) {
    if (value === undefined || value === null) continue;
    if (key === 'text') node.textContent = value;
    else if (key === 'class') node.className = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

function seconds(ms) {
  if (ms < 0) ms = 0;
  return ms < 10000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

function shortId(id) {
  return id ? id.slice(0, 8) : '?';
}

function clockText(epochMillis) {
  const d = new Date(epochMillis);
  return d.toISOString().slice(11, 23);
}

// ------------------------------------------------------------ the model

function message(id, queue, at) {
  let m = state.messages.get(id);
  if (!m) {
    state.labels += 1;
    m = { id, label: `m${state.labels}`, queue, firstAt: at, receives: [], deletes: [],
      requests: [], dlqAt: null, dlq: null, fate: 'in queue' };
    state.messages.set(id, m);
    if (state.messages.size > MAX_MESSAGES) {
      state.messages.delete(state.messages.keys().next().value);
    }
  }
  return m;
}

function invocation(id, fields) {
  let inv = state.invocations.get(id);
  if (!inv) {
    inv = { id, function: '?', environment: 0, status: 'running', startedAt: null,
      endedAt: null, durationMs: null, coldStart: false, logs: [], messages: [], maybeDoneAt: null };
    state.invocations.set(id, inv);
    if (state.invocations.size > MAX_INVOCATIONS) {
      state.invocations.delete(state.invocations.keys().next().value);
    }
  }
  return Object.assign(inv, fields || {});
}

function applyEvent(e) {
  const at = e.at_epoch_millis;
  switch (e.kind) {
    case 'message_sent': {
      const m = message(e.message_id, e.queue, at);
      m.queue = e.queue;
      m.sentAt = at;
      if (m.fate !== 'dlq' || e.queue !== m.dlq) m.fate = 'in queue';
      break;
    }
    case 'message_received': {
      const m = message(e.message_id, e.queue, at);
      m.receives.push({ at, until: e.visible_again_at_epoch_millis, count: e.receive_count, queue: e.queue });
      break;
    }
    case 'visibility_changed': {
      const m = message(e.message_id, e.queue, at);
      const last = m.receives[m.receives.length - 1];
      if (last) last.until = e.visible_again_at_epoch_millis;
      break;
    }
    case 'message_deleted': {
      const m = message(e.message_id, e.queue, at);
      m.deletes.push({ at, stale: false });
      m.fate = 'deleted';
      break;
    }
    case 'delete_ignored':
      if (e.message_id) {
        message(e.message_id, e.queue, at).deletes.push({ at, stale: e.reason === 'stale_receipt_handle' });
      } else {
        state.goneDeletes.push({ at, queue: e.queue });
        if (state.goneDeletes.length > 500) state.goneDeletes.shift();
      }
      break;
    case 'moved_to_dead_letter_queue': {
      const m = message(e.message_id, e.queue, at);
      m.dlqAt = at;
      m.dlq = e.dead_letter_queue;
      m.fate = 'dlq';
      break;
    }
    case 'queue_attributes_changed':
      if (e.attributes && e.attributes.VisibilityTimeout !== undefined) {
        state.visibilityChanges.push({ at, queue: e.queue, seconds: e.attributes.VisibilityTimeout });
        if (state.visibilityChanges.length > 100) state.visibilityChanges.shift();
        // The form follows the live value (set here or by the CLI), unless
        // the learner is typing in it.
        const form = $('#visibility-form');
        if (form && form.queue.value === e.queue && document.activeElement !== form.seconds) {
          form.seconds.value = String(e.attributes.VisibilityTimeout);
        }
      }
      break;
    case 'queue_purged':
      for (const m of state.messages.values()) {
        if (m.queue === e.queue && (m.fate === 'in queue' || m.fate === 'dlq')) m.fate = 'purged';
      }
      break;
    case 'invocation_started':
      invocation(e.request_id, { function: e.function, environment: e.environment,
        coldStart: e.cold_start, startedAt: at, status: 'running' });
      break;
    case 'invocation_finished': {
      const inv = invocation(e.request_id, { function: e.function, environment: e.environment,
        status: e.outcome, durationMs: e.duration_ms, endedAt: at });
      if (inv.startedAt === null) inv.startedAt = at - e.duration_ms;
      break;
    }
    case 'batch_invoked': {
      const inv = invocation(e.request_id, { function: e.function });
      inv.messages = e.messages;
      for (const bm of e.messages) {
        const m = message(bm.message_id, e.queue, at);
        if (!m.requests.includes(e.request_id)) m.requests.push(e.request_id);
      }
      break;
    }
    case 'conditional_check_failed':
      state.caught.push({ at, table: e.table, operation: e.operation, key: e.key });
      if (state.caught.length > 100) state.caught.shift();
      break;
    default:
      break;
  }
}

function applyLog(line) {
  if (!line.request_id) return;
  const inv = invocation(line.request_id, { function: line.function, environment: line.environment });
  inv.logs.push(line.text);
  if (inv.logs.length > 200) inv.logs.splice(0, inv.logs.length - 200);
}

function applyState(s, now) {
  state.queues = s.queues;
  state.functions = s.functions;
  state.tables = s.tables || [];
  const running = new Set();
  for (const f of s.functions) {
    for (const r of f.running) {
      running.add(r.request_id);
      const inv = invocation(r.request_id, { function: f.name, environment: r.environment });
      if (inv.startedAt === null) inv.startedAt = r.started_at_epoch_millis;
      if (inv.status === 'running') inv.maybeDoneAt = null;
    }
  }
  // Running here, not there: finished, and the event may still come (or
  // was missed). Shown as finished once a moment has passed without it.
  for (const inv of state.invocations.values()) {
    if (inv.status === 'running' && !running.has(inv.id) && inv.maybeDoneAt === null) {
      inv.maybeDoneAt = now;
    }
  }
}

function apply(batch) {
  state.offset = batch.now - Date.now();
  if (batch.type === 'snapshot') {
    state.invocations.clear();
    state.messages.clear();
    state.labels = 0;
    state.visibilityChanges = [];
    state.goneDeletes = [];
    state.missed = { events: 0, logs: 0 };
  }
  for (const e of batch.events) applyEvent(e);
  for (const line of batch.logs) applyLog(line);
  if (batch.state) applyState(batch.state, batch.now);
  state.missed.events += batch.missed.events;
  state.missed.logs += batch.missed.logs;
  scheduleRender();
}

// ------------------------------------------------------------ rendering

function scheduleRender() {
  if (state.dirty) return;
  state.dirty = true;
  requestAnimationFrame(() => {
    state.dirty = false;
    render();
  });
}

// DynamoDB's JSON form, shortened for a cell: {"S": "x"} -> "x", {"N": "1"} -> 1.
function plain(value) {
  const [type, inner] = Object.entries(value)[0] || ['?', null];
  switch (type) {
    case 'S': return JSON.stringify(inner);
    case 'N': return inner;
    case 'BOOL': return String(inner);
    case 'NULL': return 'null';
    case 'M': return '{' + Object.entries(inner).map(([k, v]) => `${k}: ${plain(v)}`).join(', ') + '}';
    case 'L': return '[' + inner.map(plain).join(', ') + ']';
    default: return `${type} ${JSON.stringify(inner)}`;
  }
}

function renderTables() {
  const box = $('#tables');
  if (!box) return;
  if (!state.tables.length) {
    box.replaceChildren(el('p', { class: 'muted' }, 'No table.'));
  } else {
    box.replaceChildren(...state.tables.map((t) => {
      const columns = [...new Set(t.items.flatMap((i) => Object.keys(i)))];
      const head = el('tr', {}, ...columns.map((c) => el('th', {}, c)));
      const rows = t.items.map((i) => el('tr', {}, ...columns.map((c) => el('td', {}, i[c] ? plain(i[c]) : ''))));
      const ttl = t.ttl_attribute ? `, TTL on ${t.ttl_attribute}` : '';
      return el('div', {},
        el('h3', {}, `${t.name} `, el('span', { class: 'muted' }, `key ${t.key}${ttl}, ${t.item_count} items`)),
        el('table', {}, el('thead', {}, head), el('tbody', {}, ...rows)));
    }));
  }
  const caught = $('#caught');
  if (caught) {
    $('#caught-count').textContent = state.caught.length ? `(${state.caught.length})` : '';
    caught.replaceChildren(...state.caught.slice(-20).reverse().map((c) =>
      el("li", {}, `${clockText(c.at)} ${c.operation} ${c.table} ${c.key}`)));
  }
}

function render() {
  renderQueues();
  renderInFlight();
  renderSelects();
  renderInvocations();
  renderMessages();
  renderTimeline();
  renderTables();
  const missed = $('#missed');
  if (state.missed.events || state.missed.logs) {
    missed.hidden = false;
    missed.textContent = `the console missed ${state.missed.events} event(s) and ${state.missed.logs} log line(s) under load; counts stay exact`;
  } else {
    missed.hidden = true;
  }
  tick();
}

function dlqOf(queueName) {
  return state.queues.filter((q) => q.dead_letter_queue === queueName).map((q) => q.name);
}

function renderQueues() {
  const body = $('#queues tbody');
  body.replaceChildren(...state.queues.map((q) => {
    const sources = dlqOf(q.name);
    const dlq = state.queues.find((d) => d.name === q.dead_letter_queue);
    return el('tr', { 'data-queue': q.name },
      el('td', {}, el('span', { text: q.name }),
        sources.length ? el('span', { class: 'tag', text: `DLQ of ${sources.join(', ')}` }) : null),
      el('td', { class: 'num', 'data-field': 'visible', text: q.visible }),
      el('td', { class: 'num', 'data-field': 'delayed', text: q.delayed }),
      el('td', { class: 'num', 'data-field': 'in-flight', text: q.in_flight }),
      el('td', { 'data-field': 'dlq', 'data-count': dlq ? dlq.visible + dlq.in_flight + dlq.delayed : '' },
        dlq ? `${dlq.name}: ${dlq.visible + dlq.in_flight + dlq.delayed} message(s)` : '—'),
      el('td', { class: 'num', 'data-field': 'visibility-timeout', text: `${q.visibility_timeout_seconds} s` }),
      el('td', { class: 'num', 'data-field': 'max-receive-count', text: q.max_receive_count ?? '—' }));
  }));
}

function renderInFlight() {
  const rows = [];
  let total = 0;
  for (const q of state.queues) {
    total += q.in_flight;
    for (const m of q.in_flight_messages) rows.push({ queue: q.name, ...m });
  }
  rows.sort((a, b) => a.visible_again_at_epoch_millis - b.visible_again_at_epoch_millis);
  const shown = rows.slice(0, SHOWN_IN_FLIGHT);
  $('#in-flight-count').textContent = total > shown.length ? `(${total}, the first ${shown.length} shown)` : `(${total})`;
  $('#in-flight tbody').replaceChildren(...shown.map((m) => {
    const label = state.messages.get(m.message_id);
    return el('tr', { 'data-message-id': m.message_id, 'data-queue': m.queue },
      el('td', { class: 'mono', title: m.message_id, text: `${label ? label.label + ' ' : ''}${shortId(m.message_id)}` }),
      el('td', { text: m.queue }),
      el('td', { class: 'num', 'data-field': 'receive-count', text: m.receive_count }),
      el('td', { class: 'num countdown', 'data-field': 'countdown', 'data-until': m.visible_again_at_epoch_millis }));
  }));
}

function renderSelects() {
  const names = state.queues.map((q) => q.name);
  const dlqs = state.queues.filter((q) => dlqOf(q.name).length).map((q) => q.name);
  const sources = state.queues.filter((q) => q.dead_letter_queue).map((q) => q.name);
  for (const select of document.querySelectorAll('select[name=queue]')) {
    const current = select.value;
    const wanted = names.join('\n');
    if (select.dataset.names === wanted) continue;
    select.dataset.names = wanted;
    select.replaceChildren(...names.map((n) => el('option', { value: n, text: n })));
    const preferred = select.dataset.default === 'dlq' ? dlqs[0] : sources[0];
    select.value = names.includes(current) ? current : (preferred || names[0] || '');
    if (select.form.id === 'visibility-form' && !current) showVisibility();
  }
}

// The visibility form starts from the chosen queue's current value.
function showVisibility() {
  const form = $('#visibility-form');
  const queue = state.queues.find((q) => q.name === form.queue.value);
  if (queue) form.seconds.value = String(queue.visibility_timeout_seconds);
}

function outcomeText(status) {
  return { success: 'ok', error: 'error', timeout: 'timeout', crash: 'crash', running: 'running' }[status] || status;
}

function effectiveStatus(inv, now) {
  if (inv.status === 'running' && inv.maybeDoneAt !== null && now - inv.maybeDoneAt > 2000) return 'unknown';
  return inv.status;
}

function renderInvocations() {
  const now = serverNow();
  // Per function: each execution environment and what it does now.
  const envs = $('#environments');
  envs.replaceChildren(...state.functions.map((f) => {
    const running = new Map(f.running.map((r) => [r.environment, r]));
    const seen = new Set([...f.warm_environments, ...running.keys()]);
    for (const inv of state.invocations.values()) if (inv.function === f.name) seen.add(inv.environment);
    const chips = [...seen].sort((a, b) => a - b).map((id) => {
      const r = running.get(id);
      const status = r ? 'running' : f.warm_environments.includes(id) ? 'warm' : 'gone';
      return el('span', { class: `env ${status}`, 'data-function': f.name, 'data-environment': id, 'data-status': status,
        'data-started': r ? r.started_at_epoch_millis : null,
        text: `env ${id} ${status}` });
    });
    return el('div', { class: 'function', 'data-function': f.name },
      el('strong', { text: f.name }),
      el('span', { class: 'muted', text: ` timeout ${f.timeout_ms / 1000} s, ${f.memory_size_mb} MB, up to ${f.max_concurrency} environments` +
        (f.event_sources.length ? `, invoked by ${f.event_sources.join(', ')}` : '') }),
      el('div', { class: 'envs' }, ...(chips.length ? chips : [el('span', { class: 'muted', text: 'no environment yet' })])));
  }));

  const list = [...state.invocations.values()].filter((i) => i.startedAt !== null);
  list.sort((a, b) => b.startedAt - a.startedAt);
  $('#invocations tbody').replaceChildren(...list.slice(0, SHOWN_INVOCATIONS).map((inv) => {
    const status = effectiveStatus(inv, now);
    const details = el('details', { 'data-request-id': inv.id },
      el('summary', { text: `${inv.logs.length} line(s)` }),
      el('pre', { text: inv.logs.join('\n') }));
    if (state.openLogs.has(inv.id)) details.open = true;
    details.addEventListener('toggle', () => {
      if (details.open) state.openLogs.add(inv.id); else state.openLogs.delete(inv.id);
    });
    const labels = inv.messages.map((bm) => {
      const m = state.messages.get(bm.message_id);
      return `${m ? m.label : shortId(bm.message_id)} #${bm.receive_count}`;
    });
    return el('tr', { 'data-request-id': inv.id, 'data-function': inv.function, 'data-environment': inv.environment,
      'data-outcome': outcomeText(status) },
      el('td', { text: inv.function }),
      el('td', { class: 'num', text: inv.environment }),
      el('td', { class: 'mono', text: `${clockText(inv.startedAt)}${inv.coldStart ? ' (cold)' : ''}` }),
      el('td', { class: 'num', 'data-field': 'duration', 'data-started': status === 'running' ? inv.startedAt : null,
        text: inv.durationMs !== null ? `${inv.durationMs.toFixed(1)} ms` : '' }),
      el('td', {}, el('span', { class: `outcome ${outcomeText(status)}`, text: outcomeText(status) })),
      el('td', { class: 'mono', text: labels.join(', ') }),
      el('td', {}, details));
  }));
}

function messageStats(m) {
  let commits = 0;
  for (const id of m.requests) {
    const inv = state.invocations.get(id);
    if (inv && inv.status === 'success') commits += 1;
  }
  const receives = m.receives.filter((r) => r.queue === m.queue || r.queue !== m.dlq).length;
  const stale = m.deletes.filter((d) => d.stale).length;
  return { commits, receives, stale };
}

function inFlightIds() {
  const ids = new Set();
  for (const q of state.queues) for (const m of q.in_flight_messages) ids.add(m.message_id);
  return ids;
}

function renderMessages() {
  const flying = inFlightIds();
  const list = [...state.messages.values()].slice(-SHOWN_MESSAGES).reverse();
  $('#messages tbody').replaceChildren(...list.map((m) => {
    const s = messageStats(m);
    const fate = m.fate === 'in queue' && flying.has(m.id) ? 'in flight' : m.fate;
    return el('tr', { 'data-message-id': m.id, 'data-label': m.label },
      el('td', { class: 'mono', text: m.label }),
      el('td', { class: 'mono', title: m.id, text: shortId(m.id) }),
      el('td', { text: m.queue }),
      el('td', { class: 'num', 'data-field': 'receives', text: s.receives }),
      el('td', { class: 'num', 'data-field': 'commits', text: s.commits }),
      el('td', { class: 'num', 'data-field': 'stale-deletes', text: s.stale }),
      el('td', { 'data-field': 'fate' }, el('span', { class: `fate ${fate.replace(' ', '-')}`, text: fate })));
  }));
}

// ------------------------------------------------------------ timeline (SVG)

const SVG = 'http://www.w3.org/2000/svg';
const COLORS = {
  success: ['#a5d6a7', '#2e7d32'], error: ['#ffcc80', '#e65100'], timeout: ['#ffcdd2', '#c62828'],
  crash: ['#ffcdd2', '#c62828'], running: ['#bbdefb', '#1565c0'], unknown: ['#e0e0e0', '#757575'],
};

function svg(tag, attrs, text) {
  const node = document.createElementNS(SVG, tag);
  for (const [key, value] of Object.entries(attrs)) if (value !== null && value !== undefined) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function niceStep(spanMs, width) {
  const target = spanMs / Math.max(2, Math.floor(width / 90));
  for (const step of [100, 200, 500, 1000, 2000, 5000, 10000, 15000, 30000, 60000, 120000, 300000]) {
    if (step >= target) return step;
  }
  return 600000;
}

function renderTimeline() {
  const box = $('#timeline');
  const now = serverNow();
  const messages = [...state.messages.values()].slice(-TIMELINE_MESSAGES);
  const shownIds = new Set(messages.map((m) => m.id));
  const mapped = state.functions.filter((f) => f.event_sources.length).map((f) => f.name);
  const onTimeline = (inv) => (mapped.length ? mapped.includes(inv.function)
    : true) && inv.startedAt !== null;
  let invocations = [...state.invocations.values()].filter(onTimeline);
  if (messages.length === 0 && invocations.length === 0) {
    box.replaceChildren(el('p', { class: 'muted', text: 'Nothing yet: send a job and watch it here.' }));
    return;
  }
  let t0 = Infinity;
  for (const m of messages) t0 = Math.min(t0, m.sentAt ?? m.firstAt);
  if (messages.length) {
    // The invocations of these messages, and those running alongside.
    invocations = invocations.filter((inv) => inv.messages.some((bm) => shownIds.has(bm.message_id))
      || (inv.endedAt ?? now) >= t0);
  }
  for (const inv of invocations) t0 = Math.min(t0, inv.startedAt);
  // A visibility change just before the first message is part of its story.
  for (const change of state.visibilityChanges) {
    if (change.at < t0 && t0 - change.at < 30000) t0 = change.at;
  }
  let t1 = now;
  t0 = Math.max(t0, t1 - TIMELINE_MAX_SPAN_MS);
  if (!(t1 - t0 > 1000)) t0 = t1 - 1000;

  const lanes = [{ key: 'queue', label: 'SQS queue' }];
  const laneOf = new Map();
  const envKeys = [...new Set(invocations.map((i) => `${i.function}\u0000${i.environment}`))].sort((a, b) => {
    const [fa, ea] = a.split('\u0000'); const [fb, eb] = b.split('\u0000');
    return fa === fb ? Number(ea) - Number(eb) : fa.localeCompare(fb);
  });
  const severalFunctions = new Set(invocations.map((i) => i.function)).size > 1;
  for (const key of envKeys) {
    const [fn, env] = key.split('\u0000');
    laneOf.set(key, lanes.length);
    lanes.push({ key, label: severalFunctions ? `${fn.split('-').pop()} env ${env}` : `env ${env}` });
  }

  const width = Math.max(640, box.clientWidth || 1000);
  const left = 110, right = 16, top = 26, laneH = 34, axisH = 30;
  const height = top + lanes.length * laneH + axisH;
  const x = (t) => left + ((Math.min(Math.max(t, t0), t1) - t0) / (t1 - t0)) * (width - left - right);
  const yOf = (lane) => top + lane * laneH;
  const root = svg('svg', { width, height, viewBox: `0 0 ${width} ${height}`, 'data-t0': t0 });

  lanes.forEach((lane, i) => {
    root.append(svg('rect', { x: left, y: yOf(i), width: width - left - right, height: laneH,
      fill: i === 0 ? '#f3e5f5' : (i % 2 ? '#ffffff' : '#f5f6f8') }));
    root.append(svg('text', { x: left - 8, y: yOf(i) + laneH / 2 + 4, 'text-anchor': 'end',
      class: i === 0 ? 'lane-label strong' : 'lane-label' }, lane.label));
  });
  // Time axis.
  const step = niceStep(t1 - t0, width);
  const axisY = top + lanes.length * laneH;
  for (let t = 0; t <= t1 - t0; t += step) {
    const px = x(t0 + t);
    root.append(svg('line', { x1: px, x2: px, y1: top, y2: axisY, stroke: '#e0e0e0' }));
    root.append(svg('text', { x: px, y: axisY + 16, 'text-anchor': 'middle', class: 'tick' },
      step < 1000 ? `${(t / 1000).toFixed(1)} s` : `${Math.round(t / 1000)} s`));
  }
  const nowX = x(now);
  root.append(svg('line', { x1: nowX, x2: nowX, y1: top - 4, y2: axisY, stroke: '#90a4ae', 'stroke-dasharray': '2 3' }));

  // Visibility changes: a dashed line across every lane.
  for (const change of state.visibilityChanges) {
    if (change.at < t0) continue;
    const px = x(change.at);
    const g = svg('g', { 'data-mark': 'visibility-change' });
    g.append(svg('line', { x1: px, x2: px, y1: top - 6, y2: axisY, stroke: '#6a1b9a', 'stroke-dasharray': '6 4' }));
    g.append(svg('text', { x: px + 4, y: top - 10, class: 'mark-label', fill: '#6a1b9a' }, `visibility ${change.seconds} s`));
    root.append(g);
  }

  // Invocation bars.
  const barOf = new Map();
  for (const inv of invocations) {
    const lane = laneOf.get(`${inv.function}\u0000${inv.environment}`);
    const status = effectiveStatus(inv, now);
    const [fill, stroke] = COLORS[status] || COLORS.unknown;
    const end = inv.endedAt ?? (status === 'running' ? now : inv.startedAt);
    const x0 = x(inv.startedAt), x1 = Math.max(x(end), x0 + 2);
    const y = yOf(lane) + 6;
    const g = svg('g', { 'data-invocation': inv.id, 'data-outcome': outcomeText(status) });
    g.append(svg('rect', { x: x0, y, width: x1 - x0, height: laneH - 12, rx: 3, fill, stroke }));
    const label = inv.messages.map((bm) => {
      const m = state.messages.get(bm.message_id);
      return `${m ? m.label : shortId(bm.message_id)} #${bm.receive_count}`;
    }).join(' ');
    if (label && x1 - x0 > 30) {
      g.append(svg('text', { x: x0 + 4, y: y + laneH / 2 - 2, class: 'bar-label' }, label));
    }
    root.append(g);
    barOf.set(inv.id, { lane, inv });
    if (inv.endedAt !== null && status === 'success' && inv.messages.length) {
      root.append(mark('commit', x(inv.endedAt), yOf(lane) + laneH / 2, inv.messages.map((b) => b.message_id).join(' ')));
    }
    if (inv.endedAt !== null && status === 'timeout') {
      root.append(mark('timeout', x(inv.endedAt), yOf(lane) + laneH / 2, inv.messages.map((b) => b.message_id).join(' ')));
    }
  }

  // Per message: receives and DLQ moves on the queue lane; deletes on the
  // lane of the invocation that worked on it.
  const queueY = yOf(0) + laneH / 2;
  for (const m of messages) {
    m.receives.forEach((r, i) => {
      // Each receive's hidden window, staggered so consecutive ones show apart.
      if (r.until > r.at) {
        root.append(svg('rect', { x: x(r.at), y: yOf(0) + laneH - 6 - (i % 3) * 4, width: Math.max(1, x(r.until) - x(r.at)),
          height: 3, fill: '#1565c0', opacity: 0.3, 'data-window': m.id }));
      }
    });
    for (const r of m.receives) {
      root.append(mark('receive', x(r.at), queueY, m.id, `${m.label} #${r.count}`));
    }
    if (m.dlqAt !== null) root.append(mark('dlq', x(m.dlqAt), queueY, m.id, `${m.label} → DLQ`));
    for (const d of m.deletes) {
      let lane = 0;
      let best = -Infinity;
      for (const id of m.requests) {
        const bar = barOf.get(id);
        if (bar && bar.inv.endedAt !== null && bar.inv.endedAt <= d.at + 1 && bar.inv.endedAt > best) {
          best = bar.inv.endedAt;
          lane = bar.lane;
        }
      }
      root.append(mark(d.stale ? 'stale-delete' : 'delete', x(d.at), yOf(lane) + laneH / 2 + (lane ? 0 : 0), m.id));
    }
  }
  for (const d of state.goneDeletes) {
    if (d.at >= t0) root.append(mark('gone-delete', x(d.at), queueY, ''));
  }
  box.replaceChildren(root);
  renderLegend();
}

function mark(kind, px, py, messageId, label) {
  const g = svg('g', { 'data-mark': kind, 'data-message-id': messageId || null });
  const s = 5;
  switch (kind) {
    case 'receive':
      g.append(svg('path', { d: `M${px - s},${py - s - 2} L${px + s},${py - s - 2} L${px},${py + 2} Z`, fill: '#1565c0' }));
      break;
    case 'commit':
      g.append(svg('path', { d: `M${px - 5},${py} L${px - 1},${py + 4} L${px + 6},${py - 5}`, stroke: '#1b5e20', 'stroke-width': 2.5, fill: 'none' }));
      break;
    case 'delete':
    case 'stale-delete':
    case 'gone-delete': {
      const color = kind === 'delete' ? '#2e7d32' : kind === 'stale-delete' ? '#c62828' : '#9e9e9e';
      const dy = kind === 'gone-delete' ? 0 : 8;
      g.append(svg('path', { d: `M${px - 4},${py + dy - 4} L${px + 4},${py + dy + 4} M${px + 4},${py + dy - 4} L${px - 4},${py + dy + 4}`, stroke: color, 'stroke-width': 2.5 }));
      break;
    }
    case 'timeout':
      g.append(svg('circle', { cx: px, cy: py, r: 6, fill: '#ffffff', stroke: '#c62828', 'stroke-width': 2 }));
      g.append(svg('path', { d: `M${px},${py - 3} L${px},${py} L${px + 3},${py}`, stroke: '#c62828', 'stroke-width': 1.5, fill: 'none' }));
      break;
    case 'dlq':
      g.append(svg('path', { d: `M${px},${py - 7} L${px + 7},${py} L${px},${py + 7} L${px - 7},${py} Z`, fill: '#6a1b9a' }));
      break;
    default:
      break;
  }
  if (label) g.append(svg('text', { x: px + 6, y: py - 6, class: 'mark-label' }, label));
  return g;
}

function renderLegend() {
  const legend = $('#legend');
  if (legend.childElementCount) return;
  const items = [
    ['bar', 'success', 'invocation ok'], ['bar', 'error', 'invocation error'], ['bar', 'timeout', 'invocation timed out'],
    ['bar', 'running', 'running'], ['mark', 'receive', 'receive (message #receive count)'],
    ['mark', 'commit', 'commit (invocation ok)'], ['mark', 'delete', 'delete'],
    ['mark', 'stale-delete', 'stale delete (old receipt)'], ['mark', 'timeout', 'timeout'],
    ['mark', 'dlq', 'moved to DLQ'], ['mark', 'gone-delete', 'delete of a message already gone'],
  ];
  for (const [type, kind, text] of items) {
    const icon = svg('svg', { width: 22, height: 16, viewBox: '0 0 22 16' });
    if (type === 'bar') {
      const [fill, stroke] = COLORS[kind];
      icon.append(svg('rect', { x: 1, y: 3, width: 20, height: 10, rx: 2, fill, stroke }));
    } else {
      icon.append(mark(kind, 11, kind === 'delete' || kind === 'stale-delete' ? 0 : 8, ''));
    }
    legend.append(el('span', { class: 'legend-item' }, icon, el('span', { text }) ));
  }
  legend.append(el('span', { class: 'legend-item' }, el('span', { class: 'window-swatch' }), el('span', { text: 'hidden (visibility timeout)' })));
}

// Countdowns and running durations, between batches.
function tick() {
  const now = serverNow();
  $('#clock').textContent = clockText(now);
  for (const cell of document.querySelectorAll('[data-field=countdown]')) {
    const left = Number(cell.dataset.until) - now;
    cell.textContent = left > 0 ? seconds(left) : 'visible again';
    cell.classList.toggle('soon', left > 0 && left < 3000);
  }
  for (const cell of document.querySelectorAll('td[data-field=duration][data-started]')) {
    cell.textContent = `${seconds(now - Number(cell.dataset.started))} so far`;
  }
  for (const chip of document.querySelectorAll('.env[data-started]')) {
    chip.textContent = `env ${chip.dataset.environment} running ${seconds(now - Number(chip.dataset.started))}`;
  }
}

// ------------------------------------------------------------ actions

async function act(action, payload) {
  const out = $('#action-result');
  out.dataset.outcome = 'pending';
  out.textContent = `${action}…`;
  try {
    const response = await fetch(`/api/actions/${action}`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(payload),
    });
    const answer = await response.json();
    if (response.ok) {
      out.dataset.outcome = 'ok';
      out.textContent = answer.summary;
    } else {
      out.dataset.outcome = 'error';
      out.textContent = answer.error && answer.error.message
        ? `${answer.operation}: ${answer.error.code}: ${answer.error.message}`
        : String(answer.error);
    }
  } catch (e) {
    out.dataset.outcome = 'error';
    out.textContent = `the console did not answer: ${e}`;
  }
}

function wireActions() {
  $('#send-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.target;
    act('send', { queue: form.queue.value, body: form.body.value });
  });
  $('#visibility-form').queue.addEventListener('change', showVisibility);
  $('#visibility-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const form = e.target;
    const text = form.seconds.value.trim();
    // A number as typed; anything else goes as text, for SQS to judge.
    act('visibility', { queue: form.queue.value, seconds: /^\d+$/.test(text) ? Number(text) : text });
  });
  $('#dlq-form').addEventListener('submit', (e) => {
    e.preventDefault();
    const action = e.submitter ? e.submitter.value : 'redrive';
    act(action, { queue: e.target.queue.value });
  });
}

// ------------------------------------------------------------ the stream

function connect() {
  const status = $('#status');
  const source = new EventSource('/api/events');
  const onMessage = (e) => {
    status.dataset.state = 'live';
    status.textContent = 'live';
    apply(JSON.parse(e.data));
  };
  source.addEventListener('snapshot', onMessage);
  source.addEventListener('batch', onMessage);
  source.addEventListener('error', () => {
    status.dataset.state = 'offline';
    status.textContent = 'reconnecting… (is localcloud still up?)';
  });
}

window.addEventListener('DOMContentLoaded', () => {
  wireActions();
  connect();
  setInterval(tick, 200);
  window.addEventListener('resize', scheduleRender);
});

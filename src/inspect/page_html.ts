/**
 * The inspector page: one self-contained HTML document (inline CSS and script, the diagrams as
 * inline SVG; nothing loaded from anywhere else) that follows the feed of `/feed`.
 *
 * Each diagram follows one actor of its machine: the one clicked in the actor list, else the live
 * actor that changed last. The states that actor is in get the class `active`.
 *
 * Diagrams are drawn at their own size, never shrunk: their text (11–12 px) stays readable at any
 * window width. A big one scrolls inside its card, and when the states it highlights change, the
 * card scrolls to show them. Zooming gives one diagram the whole area beside the actor list.
 *
 * The same page plays a session report back (replay_page.ts): a finished conversation shown by
 * this code, as the feed would have shown it at a time slider's position.
 */
import { escapeXml } from '../viz/escape_xml.js';
import type { MachineDiagram } from './machine_diagrams.js';
import { REPLAY_HEADER, REPLAY_MARKUP, REPLAY_STYLE, replayScript, type ReplayPageOptions } from './replay_page.js';

export interface PageHtmlOptions {
  diagrams: MachineDiagram[];
  /** The CSP nonce of the inline style and script. */
  nonce: string;
  feedPath: string;
  /** How the page gets a report to replay (replay_page.ts). */
  replay: ReplayPageOptions;
}

/** The page's HTML; the diagrams' SVG is ours (escaped by the SVG writer), never user text. */
export function inspectorPageHtml(options: PageHtmlOptions): string {
  const nonce = escapeXml(options.nonce);
  const sections = options.diagrams.map((diagram) => machineSection(diagram)).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>voxstate inspector</title>
<link rel="icon" href="data:,">
<style nonce="${nonce}">${STYLE}${REPLAY_STYLE}</style>
</head>
<body>
<header id="top">
  <h1>voxstate inspector</h1>
  <span id="connection" data-connection="connecting">connecting…</span>
  <span id="counts"></span>
  ${REPLAY_HEADER}
  <span class="hint">Highlighted: the states of the actor each diagram follows. Click an actor to follow it, a diagram to zoom (Esc to leave). Drop a session report to replay it.</span>
</header>
${REPLAY_MARKUP}
<aside id="actors-pane">
  <h2>Actors</h2>
  <div id="actors"><p class="empty">No actor yet.</p></div>
</aside>
<section id="machines">
${sections}
</section>
<section id="log-pane">
  <header>
    <h2>Events</h2>
    <input id="filter" type="search" placeholder="filter: event type, actor or payload" aria-label="filter events">
    <label><input id="internal" type="checkbox"> xstate.* events</label>
  </header>
  <div id="log-scroll">
    <table id="log">
      <thead><tr><th>time</th><th>actor</th><th>event</th><th>from</th><th>payload</th></tr></thead>
      <tbody></tbody>
    </table>
  </div>
</section>
<script nonce="${nonce}">
const FEED_PATH = ${JSON.stringify(options.feedPath)};
(() => {
${SCRIPT}
${replayScript(options.replay)}
${CONNECTION_SCRIPT}
})();
</script>
</body>
</html>
`;
}

function machineSection(diagram: MachineDiagram): string {
  const key = escapeXml(diagram.key);
  return `<section class="machine" data-machine="${key}" data-status="idle">
  <header><h2>${escapeXml(diagram.id)}</h2><span class="following">no actor</span><button class="zoom" type="button">zoom</button></header>
  <div class="diagram">${diagram.svg}</div>
  <details><summary>context</summary><pre class="context"></pre></details>
</section>`;
}

const STYLE = `
:root { color-scheme: light; --accent: #d97706; --accent-fill: #fde68a; --muted: #64748b; --line: #e2e8f0; }
* { box-sizing: border-box; }
html, body { margin: 0; height: 100%; }
body { font: 13px/1.4 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #0f172a; background: #f8fafc;
  display: grid; grid-template-columns: 330px 1fr; grid-template-rows: auto 1fr 34vh; height: 100vh; }
h1 { font-size: 16px; margin: 0; }
h2 { font-size: 13px; margin: 0; text-transform: uppercase; letter-spacing: .04em; color: #334155; }
#top { grid-column: 1 / 3; display: flex; gap: 16px; align-items: baseline; padding: 8px 14px; background: #0f172a; color: #f8fafc; }
#top .hint { color: #94a3b8; margin-left: auto; }
#connection { padding: 1px 8px; border-radius: 9px; background: #475569; }
#connection[data-connection="live"] { background: #15803d; }
#connection[data-connection="closed"] { background: #b91c1c; }
#actors-pane { grid-row: 2; overflow: auto; padding: 10px; border-right: 1px solid var(--line); background: #fff; }
#actors-pane > h2 { margin-bottom: 8px; }
.group { margin-bottom: 10px; }
.group h3 { font-size: 12px; margin: 0 0 4px; color: var(--muted); font-weight: 600; }
.group ul { list-style: none; margin: 0; padding: 0; }
.actor button { all: unset; box-sizing: border-box; display: block; width: 100%; cursor: pointer; padding: 4px 6px; border-radius: 6px; border: 1px solid transparent; }
.actor button:hover { background: #f1f5f9; }
.actor.pinned button { border-color: var(--accent); background: #fffbeb; }
.actor .label { font-weight: 600; }
.actor .state { display: block; color: #b45309; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.actor .status { float: right; font-size: 11px; color: var(--muted); }
.actor[data-status="active"] .status { color: #15803d; }
.actor:not([data-status="active"]) { opacity: .55; }
.actor .parent { color: var(--muted); font-size: 11px; }
.empty { color: var(--muted); }
#machines { grid-row: 2; overflow: auto; padding: 10px; display: flex; flex-wrap: wrap; gap: 12px; align-content: flex-start; }
.machine { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 8px; max-width: 100%; min-width: 0; }
/* Machines nobody runs go last: what the program is doing comes first. */
.machine[data-status="idle"] { opacity: .6; order: 1; }
.machine > header { display: flex; gap: 10px; align-items: baseline; margin-bottom: 6px; }
.machine .following { color: #b45309; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; }
.machine .zoom { margin-left: auto; font: inherit; font-size: 12px; padding: 0 8px; cursor: pointer; }
/* At its own size (scaled down, its text would be too small to read); a big diagram scrolls. */
.machine .diagram { cursor: zoom-in; overflow: auto; max-height: 50vh; }
.machine .diagram svg { display: block; }
/* Zoomed: one diagram has the area of the diagrams and the event log, the rest wait. */
body.zooming #machines, body.zooming #actors-pane { grid-row: 2 / 4; }
body.zooming #log-pane, body.zooming .machine:not(.zoomed) { display: none; }
.machine.zoomed { flex: 1 1 100%; height: 100%; display: flex; flex-direction: column; }
.machine.zoomed .diagram { cursor: zoom-out; flex: 1; min-height: 0; max-height: none; }
.machine details { margin-top: 4px; }
.machine pre { margin: 4px 0 0; max-height: 160px; overflow: auto; white-space: pre-wrap; word-break: break-all; font-size: 11px; background: #f8fafc; padding: 4px; }
g.state.active > rect:first-of-type { stroke: var(--accent); stroke-width: 3; }
g.state.active[data-state-kind="atomic"] > rect:first-of-type, g.state.active[data-state-kind="final"] > rect:first-of-type { fill: var(--accent-fill); }
#log-pane { grid-column: 1 / 3; grid-row: 3; display: flex; flex-direction: column; border-top: 1px solid var(--line); background: #fff; min-height: 0; }
#log-pane > header { display: flex; gap: 12px; align-items: center; padding: 6px 10px; }
#filter { flex: 0 1 320px; font: inherit; padding: 2px 6px; }
#log-scroll { overflow: auto; flex: 1; min-height: 0; }
#log { border-collapse: collapse; width: 100%; font-size: 12px; }
#log th { position: sticky; top: 0; z-index: 1; background: #f1f5f9; text-align: left; font-weight: 600; padding: 3px 8px; }
#log td { padding: 2px 8px; border-top: 1px solid #f1f5f9; vertical-align: top; white-space: nowrap; }
#log td.payload { white-space: normal; font-family: ui-monospace, Menlo, Consolas, monospace; word-break: break-all; color: #334155; }
#log td.type { font-weight: 600; }
#log tr.internal td.type { font-weight: 400; color: var(--muted); }
#log tr.hidden { display: none; }
`;

/**
 * The page's script: plain ES2020, no build step, no dependency. Its three parts share one scope:
 * this one (the live page), the replay's (replay_page.ts), and the connection to the feed.
 */
const SCRIPT = String.raw`
  const MAX_ROWS = 1000;
  const MAX_ENDED = 50;
  const actors = new Map();      // id -> actor
  const pins = new Map();        // machine key -> pinned actor id
  let lastSeq = 0;
  let tick = 0;
  let eventCount = 0;

  const $ = (selector, root = document) => root.querySelector(selector);
  const actorsBox = $('#actors');
  const machinesBox = $('#machines');
  const tbody = $('#log tbody');
  const scroller = $('#log-scroll');
  const filter = $('#filter');
  const showInternal = $('#internal');
  const connection = $('#connection');

  const sections = new Map();    // machine key -> { el, states: Map<stateId, g>, shown: what is highlighted }
  const addSection = (el) => {
    const states = new Map();
    for (const g of el.querySelectorAll('g.state')) states.set(g.getAttribute('data-state-id'), g);
    const section = { el, states, shown: '' };
    sections.set(el.getAttribute('data-machine'), section);
    const toggle = () => zoom(el.classList.contains('zoomed') ? null : section);
    el.querySelector('.diagram').addEventListener('click', toggle);
    el.querySelector('.zoom').addEventListener('click', toggle);
  };

  /** Gives one diagram the whole area (null: back to all of them), its highlighted states in view. */
  const zoom = (section) => {
    for (const other of sections.values()) {
      other.el.classList.toggle('zoomed', other === section);
      $('.zoom', other.el).textContent = other === section ? 'back' : 'zoom';
    }
    document.body.classList.toggle('zooming', section !== null);
    if (section !== null) machinesBox.scrollTop = 0;
    // Cards hidden while zoomed could not scroll to their states: all of them catch up now.
    for (const shown of section === null ? sections.values() : [section]) reveal(shown);
  };
  document.addEventListener('keydown', (event) => {
    if (event.key === 'Escape') zoom(null);
  });

  /**
   * Scrolls a diagram inside its card so that the states it highlights are in view, unless they
   * already are: a reader who scrolled elsewhere keeps their place until the states change. In a
   * chart of parallel regions the states just entered come first: the regions can lie further
   * apart than the card is wide.
   */
  const reveal = (section) => {
    const box = $('.diagram', section.el);
    if (box.clientWidth === 0) return;
    const active = [...section.el.querySelectorAll('g.state.active:not([data-state-kind="parallel"])')];
    const ids = new Set(active.map((g) => g.dataset.stateId));
    // The states just entered, each by its outermost state (a compound entered with its child).
    const entered = active.filter((g) => !section.revealed?.has(g.dataset.stateId));
    const enteredIds = new Set(entered.map((g) => g.dataset.stateId));
    const outermost = entered.filter((g) => !enteredIds.has(g.dataset.stateId.slice(0, g.dataset.stateId.lastIndexOf('.'))));
    section.revealed = ids;
    if (outermost.length > 0) section.focus = outermost.map((g) => g.dataset.stateId);
    const leaves = active.filter((g) => g.dataset.stateKind !== 'compound');
    const focused = (section.focus ?? []).filter((id) => ids.has(id)).map((id) => active.find((g) => g.dataset.stateId === id));
    const frame = box.getBoundingClientRect();
    const view = { left: frame.left + box.clientLeft, top: frame.top + box.clientTop };
    Object.assign(view, { right: view.left + box.clientWidth, bottom: view.top + box.clientHeight });
    const fits = (rects) =>
      Math.max(...rects.map((r) => r.right)) - Math.min(...rects.map((r) => r.left)) <= box.clientWidth &&
      Math.max(...rects.map((r) => r.bottom)) - Math.min(...rects.map((r) => r.top)) <= box.clientHeight;
    // What was just entered if it fits the card, else the active states inside it, else every active leaf.
    const inside = leaves.filter((g) => focused.some((f) => g.dataset.stateId.startsWith(f.dataset.stateId + '.')));
    const candidates = [focused, inside, leaves].filter((set) => set.length > 0);
    const shown = candidates.find((set) => fits(set.map((g) => g.getBoundingClientRect()))) ?? candidates.at(-1);
    if (shown === undefined) return;
    const rects = shown.map((g) => g.getBoundingClientRect());
    const inView = rects.every((r) => r.left >= view.left && r.right <= view.right && r.top >= view.top && r.bottom <= view.bottom);
    if (inView) return;
    // Centre them: a state's neighbours (where it goes next) show around it.
    const centre = (low, high) => (Math.min(...rects.map((r) => r[low])) + Math.max(...rects.map((r) => r[high]))) / 2;
    box.scrollLeft += centre('left', 'right') - (view.left + view.right) / 2;
    box.scrollTop += centre('top', 'bottom') - (view.top + view.bottom) / 2;
  };
  /** Reveals, once per frame, the diagrams whose highlighted states changed. */
  const toReveal = new Set();
  const revealSoon = (section) => {
    if (toReveal.size === 0) requestAnimationFrame(() => {
      for (const pending of toReveal) reveal(pending);
      toReveal.clear();
    });
    toReveal.add(section);
  };

  for (const el of document.querySelectorAll('section.machine')) addSection(el);

  const el = (tag, className, text) => {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  };

  /**
   * "running (agent: speaking, user: listening)" from a state value, as the console shows it
   * (src/console/state_display.ts): a chart of parallel regions shows its first one as its state.
   */
  const describe = (value) => {
    if (value === null || value === undefined) return '';
    if (typeof value === 'string') return value;
    const entries = Object.entries(value);
    if (entries.length === 1) {
      const [key, inner] = entries[0];
      return typeof inner === 'string' || Object.keys(inner).length === 1 ? key + '.' + describe(inner) : key + ' (' + regions(inner) + ')';
    }
    const [[, first], ...others] = entries;
    return describe(first) + ' (' + regions(Object.fromEntries(others)) + ')';
  };
  const regions = (value) => Object.entries(value).map(([region, inner]) => region + ': ' + describe(inner)).join(', ');

  // ---- actors ----
  const groupOf = (key) => {
    let group = actorsBox.querySelector('.group[data-machine="' + CSS.escape(key) + '"]');
    if (group) return group;
    $('.empty', actorsBox)?.remove();
    group = el('div', 'group');
    group.setAttribute('data-machine', key);
    const title = el('h3');
    group.append(title, el('ul'));
    // Groups in the order of the diagrams: job, session, agent … as the page lists machines.
    const order = [...sections.keys()];
    const after = [...actorsBox.querySelectorAll('.group')].find((other) => order.indexOf(other.getAttribute('data-machine')) > order.indexOf(key));
    actorsBox.insertBefore(group, after || null);
    return group;
  };
  const updateGroupTitle = (group) => {
    const key = group.getAttribute('data-machine');
    const list = [...actors.values()].filter((a) => a.machine === key);
    const live = list.filter((a) => a.status === 'active').length;
    $('h3', group).textContent = (list[0] ? list[0].machineId : key) + ' · ' + live + ' live' + (list.length > live ? ', ' + (list.length - live) + ' ended' : '');
  };

  const upsertActor = (m) => {
    let actor = actors.get(m.id);
    if (!actor) {
      actor = { id: m.id, status: 'active', value: null, active: [], context: '', updated: ++tick };
      actors.set(m.id, actor);
    }
    Object.assign(actor, { name: m.name, machine: m.machine, machineId: m.machineId, parent: m.parent, systemId: m.systemId, label: m.label });
    if (!actor.row) {
      const li = el('li', 'actor');
      li.setAttribute('data-actor-id', actor.id);
      li.setAttribute('data-machine', actor.machine);
      const button = el('button');
      button.type = 'button';
      button.append(el('span', 'status'), el('span', 'label'), el('span', 'parent'), el('span', 'state'));
      button.addEventListener('click', () => {
        if (pins.get(actor.machine) === actor.id) pins.delete(actor.machine);
        else pins.set(actor.machine, actor.id);
        renderPins();
        renderMachine(actor.machine);
      });
      li.append(button);
      actor.row = li;
      $('ul', groupOf(actor.machine)).append(li);
    }
    renderActor(actor);
  };

  const renderActor = (actor) => {
    const row = actor.row;
    row.setAttribute('data-status', actor.status);
    $('.label', row).textContent = actor.label;
    $('.status', row).textContent = actor.status;
    const parent = actor.parent && actors.get(actor.parent);
    $('.parent', row).textContent = parent ? ' ← ' + parent.label : actor.systemId ? ' (' + actor.systemId + ')' : '';
    $('.state', row).textContent = describe(actor.value);
    updateGroupTitle(row.closest('.group'));
  };

  const applyState = (m) => {
    const actor = actors.get(m.id);
    if (!actor) return;
    Object.assign(actor, { status: m.status, value: m.value, active: m.active, label: m.label, context: m.context, output: m.output, error: m.error, updated: ++tick });
    renderActor(actor);
    if (m.status !== 'active') pruneEnded();
    renderMachine(actor.machine);
  };

  const pruneEnded = () => {
    const ended = [...actors.values()].filter((a) => a.status !== 'active');
    for (const actor of ended.slice(0, Math.max(0, ended.length - MAX_ENDED))) {
      actors.delete(actor.id);
      const group = actor.row.closest('.group');
      actor.row.remove();
      updateGroupTitle(group);
    }
  };

  const renderPins = () => {
    for (const actor of actors.values()) actor.row.classList.toggle('pinned', pins.get(actor.machine) === actor.id);
  };

  // ---- diagrams ----
  /** The actor a diagram follows: the pinned one, else the live one that changed last, else the last ended. */
  const followed = (key) => {
    const pinned = pins.get(key);
    if (pinned && actors.has(pinned)) return actors.get(pinned);
    let best = null;
    for (const actor of actors.values()) {
      if (actor.machine !== key) continue;
      const rank = (a) => (a.status === 'active' ? 1e12 : 0) + a.updated;
      if (!best || rank(actor) > rank(best)) best = actor;
    }
    return best;
  };

  const renderMachine = (key) => {
    const section = sections.get(key);
    if (!section) return;
    const actor = followed(key);
    for (const g of section.el.querySelectorAll('g.state.active')) g.classList.remove('active');
    const following = $('.following', section.el);
    if (!actor) {
      section.el.setAttribute('data-status', 'idle');
      section.el.removeAttribute('data-actor-id');
      following.textContent = 'no actor';
      $('.context', section.el).textContent = '';
      section.shown = '';
      return;
    }
    for (const id of actor.active) section.states.get(id)?.classList.add('active');
    const shown = actor.id + ' ' + actor.active.join(' ');
    if (shown !== section.shown) revealSoon(section);
    section.shown = shown;
    section.el.setAttribute('data-status', actor.status);
    section.el.setAttribute('data-actor-id', actor.id);
    following.textContent = actor.label + ' — ' + (describe(actor.value) || '…') + (actor.status === 'active' ? '' : ' (' + actor.status + ')');
    let details = actor.context || '';
    if (actor.output !== undefined) details += '\noutput: ' + actor.output;
    if (actor.error !== undefined) details += '\nerror: ' + actor.error;
    $('.context', section.el).textContent = details;
  };

  const addMachine = (m) => {
    if (sections.has(m.key)) return;
    const section = el('section', 'machine');
    section.setAttribute('data-machine', m.key);
    section.setAttribute('data-status', 'idle');
    const header = el('header');
    const zoomButton = el('button', 'zoom', 'zoom');
    zoomButton.type = 'button';
    header.append(el('h2', '', m.id), el('span', 'following', 'no actor'), zoomButton);
    const diagram = el('div', 'diagram');
    diagram.innerHTML = m.svg; // generated by the server's SVG writer, every text escaped
    const details = el('details');
    details.append(el('summary', '', 'context'), el('pre', 'context'));
    section.append(header, diagram, details);
    machinesBox.append(section);
    addSection(section);
  };

  // ---- events ----
  const pad = (n, width = 2) => String(n).padStart(width, '0');
  const clock = (at) => {
    const d = new Date(at);
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
  };
  const matches = (row) => {
    if (row.classList.contains('internal') && !showInternal.checked) return false;
    const needle = filter.value.trim().toLowerCase();
    return needle === '' || row.textContent.toLowerCase().includes(needle);
  };
  const addEvent = (m) => {
    if (m.seq <= lastSeq) return;
    lastSeq = m.seq;
    eventCount += 1;
    const atBottom = scroller.scrollTop + scroller.clientHeight >= scroller.scrollHeight - 4;
    const row = el('tr');
    row.setAttribute('data-seq', m.seq);
    row.setAttribute('data-actor-id', m.to);
    row.setAttribute('data-type', m.type);
    // XState's own events are hidden unless asked for; a replay shows every transition's cause.
    if (m.internal ?? m.type.startsWith('xstate.')) row.classList.add('internal');
    const target = actors.get(m.to);
    const source = m.from && actors.get(m.from);
    const payload = m.payload === '{}' ? '' : m.payload;
    row.append(
      el('td', 'time', clock(m.at)),
      el('td', 'actor', target ? target.label : m.to),
      el('td', 'type', m.type),
      el('td', 'from', source ? source.label : m.from || ''),
      el('td', 'payload', payload),
    );
    row.classList.toggle('hidden', !matches(row));
    tbody.append(row);
    while (tbody.rows.length > MAX_ROWS) tbody.rows[0].remove();
    if (atBottom) scroller.scrollTop = scroller.scrollHeight;
  };
  const refilter = () => {
    for (const row of tbody.rows) row.classList.toggle('hidden', !matches(row));
  };
  filter.addEventListener('input', refilter);
  showInternal.addEventListener('change', refilter);

  const reset = () => {
    actors.clear();
    lastSeq = 0;
    eventCount = 0;
    actorsBox.replaceChildren(el('p', 'empty', 'No actor yet.'));
    tbody.replaceChildren();
    for (const key of sections.keys()) renderMachine(key);
  };

  const counts = () => {
    const live = [...actors.values()].filter((a) => a.status === 'active').length;
    $('#counts').textContent = live + ' live actors · ' + eventCount + ' events';
  };

  const apply = (messages) => {
    for (const m of messages) {
      if (m.t === 'reset') reset();
      else if (m.t === 'machine') addMachine(m);
      else if (m.t === 'actor') {
        upsertActor(m);
        renderMachine(m.machine);
      } else if (m.t === 'state') applyState(m);
      else if (m.t === 'event') addEvent(m);
    }
    counts();
  };

`;

/** The last part of the page's script: the feed, which a replay sets aside while it plays. */
const CONNECTION_SCRIPT = String.raw`
  // ---- connection ----
  const setConnection = (state, text) => {
    connection.setAttribute('data-connection', state);
    connection.textContent = text;
  };
  let socket = null;
  const connect = () => {
    const current = new WebSocket('ws://' + location.host + FEED_PATH);
    socket = current;
    current.onopen = () => setConnection('live', 'live');
    current.onmessage = (event) => {
      // A replay has the page: live changes are let go, and a fresh connection brings the whole
      // picture when the live view is back.
      if (replay !== null) return;
      let messages;
      try { messages = JSON.parse(event.data); } catch { return; }
      if (Array.isArray(messages)) apply(messages);
    };
    current.onclose = () => {
      // Replaced by a fresh connection: nothing to do.
      if (socket !== current) return;
      // The program ended or restarted: keep what is shown, and pick up a new run when it is there.
      setConnection('closed', 'disconnected — retrying');
      setTimeout(connect, 1000);
    };
  };
  const reconnect = () => {
    const old = socket;
    connect();
    old?.close();
  };
  connect();
`;

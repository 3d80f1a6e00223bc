/**
 * The replay's part of the inspector page's script (see replay_page.ts): plain ES2020 in the
 * page's scope, using its functions (apply, reset, addMachine, followed, zoom, …) and its socket
 * (reconnect), and readReport and activeStateIdsIn, which replayScript embeds before it.
 *
 * A report is turned once into its entries (the timeline by time, each with the state ids it
 * highlights) and its log (transitions and the session's events by time); each position of the
 * slider is then applied as the feed messages a live page would have had by then.
 */
export const REPLAY_SCRIPT = String.raw`
  // ---- replay: a session report played back ----
  const PREFIX = 'replay:';
  const STATUSES = ['active', 'done', 'error', 'stopped'];
  const slider = $('#replay-slider');
  const playButton = $('#replay-play');
  const transcript = $('#transcript');
  const problemBox = $('#replay-problem');
  /** The report played back: { file, report, entries, log, start, cursor }; null on the live view. */
  let replay = null;
  /** Counts the files asked for: a slow one that arrives after a newer one is dropped. */
  let loading = 0;
  let playing = null;

  const status = (text) => { $('#replay-status').textContent = text; };
  const showProblem = (file, text) => {
    $('#replay-problem-file').textContent = file;
    $('#replay-problem-text').textContent = text;
    problemBox.classList.add('open');
  };
  const hideProblem = () => problemBox.classList.remove('open');
  $('#replay-problem-close').addEventListener('click', hideProblem);

  /** A state value as XState makes them (a name, or regions of them); anything else is shown as its JSON. */
  const isStateValue = (value) => typeof value === 'string' ||
    (typeof value === 'object' && value !== null && !Array.isArray(value) && Object.keys(value).length > 0 && Object.values(value).every(isStateValue));
  const preview = (fields) => {
    const text = JSON.stringify(fields);
    return text === '{}' ? '' : text.length > 1000 ? text.slice(0, 999) + '…' : text;
  };

  const dropReplaySections = () => {
    for (const [key, section] of [...sections]) {
      if (!key.startsWith(PREFIX)) continue;
      section.el.remove();
      sections.delete(key);
      pins.delete(key);
    }
  };

  /** Shows a checked report: its machines drawn (diagrams from the server), at its first entry. */
  const startReplay = (file, report, diagrams) => {
    stopPlaying();
    zoom(null);
    dropReplaySections();
    const entries = report.timeline
      .map((entry, index) => ({ entry, index }))
      .sort((a, b) => a.entry.at - b.entry.at || a.index - b.index)
      .map(({ entry }, i) => ({
        i,
        at: entry.at,
        actor: entry.actor,
        machine: entry.machine,
        value: isStateValue(entry.state) ? entry.state : JSON.stringify(entry.state),
        active: activeStateIdsIn(report.machines[entry.machine], entry.state),
        event: entry.event,
        status: STATUSES.includes(entry.status) ? entry.status : 'active',
      }));
    // What each entry's transition left: a diagram jumped to an entry shows what it entered.
    const previous = new Map();
    for (const entry of entries) {
      entry.before = previous.get(entry.actor) || [];
      previous.set(entry.actor, entry.active);
    }
    const svgs = new Map(diagrams.map((diagram) => [diagram.id, diagram.svg]));
    // The report's machines in the order their actors first appear: job, session, flow, agent, speech…
    for (const machine of new Set(entries.map((entry) => entry.machine))) {
      addMachine({ key: PREFIX + machine, id: report.machines[machine].id, svg: svgs.get(machine) || '' });
    }
    // The log: each transition (by the event that caused it) and each event the session emitted, by time.
    const log = entries.map((entry) => ({
      at: entry.at, entry: entry.i, to: entry.actor, type: entry.event,
      payload: '→ ' + (describe(entry.value) || '…') + (entry.status === 'active' ? '' : ' (' + entry.status + ')'),
    }));
    for (const event of report.events) {
      const { type, at, ...fields } = event;
      log.push({ at, to: 'session', type, payload: preview(fields) });
    }
    log.sort((a, b) => a.at - b.at);
    log.forEach((item, index) => {
      item.seq = index + 1;
      if (item.entry !== undefined) entries[item.entry].seq = item.seq;
    });
    replay = { file, report, entries, log, start: entries[0].at, cursor: 0 };
    slider.max = String(entries[entries.length - 1].at - entries[0].at);
    $('#replay-file').textContent = file;
    document.body.classList.add('replaying');
    hideProblem();
    seekEntry(0);
  };

  /** The page as a live one would have shown it just after the entry at the cursor. */
  const renderReplay = () => {
    const { entries, cursor, log, start } = replay;
    const now = entries[cursor];
    const first = new Map();
    const last = new Map();
    for (const entry of entries.slice(0, cursor + 1)) {
      if (!first.has(entry.actor)) first.set(entry.actor, entry);
      last.set(entry.actor, entry);
    }
    const messages = [{ t: 'reset' }];
    for (const entry of first.values()) {
      const machineId = replay.report.machines[entry.machine].id;
      messages.push({ t: 'actor', id: entry.actor, name: entry.actor, machine: PREFIX + entry.machine, machineId, label: entry.actor, createdAt: entry.at });
    }
    // In the order they last changed: a diagram follows the actor that changed last, as live.
    for (const entry of [...last.values()].sort((a, b) => a.i - b.i)) {
      messages.push({ t: 'state', id: entry.actor, status: entry.status, value: entry.value, active: entry.active, label: entry.actor,
        context: 'since ' + clock(entry.at) + ', after ' + entry.event });
    }
    for (const item of log) {
      if (item.entry !== undefined ? item.entry > cursor : item.at > now.at) continue;
      messages.push({ t: 'event', seq: item.seq, at: item.at, to: item.to, type: item.type, payload: item.payload, internal: false });
    }
    const shownBefore = new Map([...sections].map(([key, section]) => [key, section.shown]));
    apply(messages);
    renderPins();
    for (const [key, section] of sections) {
      if (!key.startsWith(PREFIX)) continue;
      // Drawn afresh, but showing what it showed: the reader keeps their place in it.
      if (section.shown === shownBefore.get(key)) toReveal.delete(section);
      else {
        // Scrolled to what the last transition of the actor it follows entered, as live.
        const actor = followed(key);
        const entry = actor && last.get(actor.id);
        if (entry) section.revealed = new Set(entry.before);
      }
    }
    tbody.querySelector('tr[data-seq="' + now.seq + '"]')?.classList.add('current');
    scroller.scrollTop = scroller.scrollHeight;
    renderTranscript(now.at);
    slider.value = String(now.at - start);
    $('#replay-bar').setAttribute('data-entry', String(cursor));
    $('#replay-time').textContent = '+' + ((now.at - start) / 1000).toFixed(3) + ' s · ' + clock(now.at) + ' · entry ' + (cursor + 1) + ' of ' + entries.length;
  };

  const renderTranscript = (at) => {
    const history = replay.report.history;
    const items = history.filter((item) => item.createdAt <= at);
    transcript.replaceChildren(...items.map(transcriptItem));
    $('#transcript-count').textContent = items.length + ' of ' + history.length;
    transcript.scrollTop = transcript.scrollHeight;
  };
  const transcriptItem = (item) => {
    const li = el('li');
    li.setAttribute('data-type', item.type);
    li.title = clock(item.createdAt);
    const line = (who, text) => li.append(el('span', 'who', who), el('span', 'text', text));
    if (item.type === 'message') {
      li.setAttribute('data-role', String(item.role));
      line(String(item.role), String(item.content));
      if (item.interrupted === true) li.append(el('span', 'note', 'interrupted'));
    } else if (item.type === 'function_call') line('tool call', item.name + ' ' + item.arguments);
    else if (item.type === 'function_call_output') {
      line('tool result', item.name + ' → ' + item.output);
      if (item.isError === true) li.append(el('span', 'note', 'error'));
    } else if (item.type === 'agent_handoff') li.append(el('span', 'text', 'handoff: ' + (item.oldAgentId || '—') + ' → ' + item.newAgentId));
    else line(item.type, preview(item));
    return li;
  };

  /** Renders once per frame, whatever asked (a dragged slider asks many times). */
  let rendering = false;
  const renderSoon = () => {
    if (rendering) return;
    rendering = true;
    requestAnimationFrame(() => {
      rendering = false;
      if (replay === null) return;
      try {
        renderReplay();
      } catch (error) {
        showProblem(replay.file, 'the report could not be shown: ' + error.message);
      }
    });
  };
  const seekEntry = (index) => {
    replay.cursor = Math.max(0, Math.min(replay.entries.length - 1, index));
    renderSoon();
  };
  /** The last entry at or before the slider's time. */
  slider.addEventListener('input', () => {
    if (replay === null) return;
    const at = replay.start + Number(slider.value);
    let index = 0;
    while (index + 1 < replay.entries.length && replay.entries[index + 1].at <= at) index += 1;
    stopPlaying();
    seekEntry(index);
  });
  const step = (by) => {
    if (replay === null) return;
    stopPlaying();
    seekEntry(replay.cursor + by);
  };
  $('#replay-prev').addEventListener('click', () => step(-1));
  $('#replay-next').addEventListener('click', () => step(1));
  document.addEventListener('keydown', (event) => {
    if (replay === null || event.altKey || event.ctrlKey || event.metaKey) return;
    // The arrows of the filter box move its caret.
    if (event.target instanceof Element && event.target.matches('input[type="search"], input[type="text"], textarea')) return;
    const moves = { ArrowLeft: -1, ArrowRight: 1, Home: -Infinity, End: Infinity };
    if (!Object.prototype.hasOwnProperty.call(moves, event.key)) return;
    // Also when the slider has the focus: it would move by a millisecond, not by an entry.
    event.preventDefault();
    const by = moves[event.key];
    if (Number.isFinite(by)) step(by);
    else {
      stopPlaying();
      seekEntry(by < 0 ? 0 : replay.entries.length - 1);
    }
  });

  const stopPlaying = () => {
    clearTimeout(playing);
    playing = null;
    playButton.textContent = 'play';
    playButton.setAttribute('aria-pressed', 'false');
  };
  /** One entry after another at the conversation's own pace, its pauses cut to a second. */
  const playNext = () => {
    const { entries, cursor } = replay;
    if (cursor >= entries.length - 1) return stopPlaying();
    const gap = entries[cursor + 1].at - entries[cursor].at;
    playing = setTimeout(() => {
      if (replay === null) return;
      seekEntry(cursor + 1);
      playNext();
    }, Math.min(1000, Math.max(120, gap)));
  };
  playButton.addEventListener('click', () => {
    if (replay === null) return;
    if (playing !== null) return stopPlaying();
    if (replay.cursor >= replay.entries.length - 1) seekEntry(0);
    playButton.textContent = 'pause';
    playButton.setAttribute('aria-pressed', 'true');
    playNext();
  });

  /** Back to the actors running now: the replay goes, and a fresh feed brings the whole picture. */
  $('#replay-live').addEventListener('click', () => {
    loading += 1;
    stopPlaying();
    replay = null;
    zoom(null);
    dropReplaySections();
    transcript.replaceChildren();
    document.body.classList.remove('replaying');
    reset();
    reconnect();
  });

  /** A file dropped or chosen: read and checked here; the server only lays its machines out. */
  const openFile = async (file) => {
    const ticket = ++loading;
    hideProblem();
    if (file.size > MAX_REPORT_BYTES) {
      return showProblem(file.name, 'the file is ' + Math.ceil(file.size / 1048576) + ' MB; the inspector reads reports of up to ' + MAX_REPORT_BYTES / 1048576 + ' MB');
    }
    status('reading ' + file.name + '…');
    let answer;
    try {
      const reading = readReport(await file.text(), REPORT_VERSION);
      if (reading.problem !== undefined) answer = reading;
      else {
        status('drawing the machines of ' + file.name + '…');
        const response = await fetch(DIAGRAMS_PATH, {
          method: 'POST',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ machines: reading.report.machines }),
        });
        answer = { ...(await response.json()), report: reading.report };
      }
    } catch (error) {
      answer = { problem: 'the report could not be read or drawn: ' + error.message };
    }
    if (ticket !== loading) return;
    status('');
    if (answer.problem !== undefined) return showProblem(file.name, answer.problem);
    showReport(file.name, answer);
  };
  /** Starts a replay, or says why it cannot. */
  const showReport = (file, answer) => {
    try {
      startReplay(file, answer.report, answer.diagrams);
    } catch (error) {
      showProblem(file, 'the report could not be shown: ' + error.message);
    }
  };

  const fileInput = $('#report-file');
  fileInput.addEventListener('change', () => {
    const file = fileInput.files[0];
    fileInput.value = '';
    if (file) openFile(file);
  });
  const carriesFiles = (event) => [...(event.dataTransfer ? event.dataTransfer.types : [])].includes('Files');
  document.addEventListener('dragover', (event) => {
    if (!carriesFiles(event)) return;
    event.preventDefault();
    document.body.classList.add('dropping');
  });
  document.addEventListener('dragleave', (event) => {
    if (event.relatedTarget === null) document.body.classList.remove('dropping');
  });
  document.addEventListener('drop', (event) => {
    // Never the browser's own handling: it would leave the page to show the file.
    event.preventDefault();
    document.body.classList.remove('dropping');
    const file = event.dataTransfer && event.dataTransfer.files[0];
    if (file) openFile(file);
  });

  if (REPORT_PATH !== null) {
    const ticket = ++loading;
    status('loading the report…');
    fetch(REPORT_PATH)
      .then((response) => response.json())
      .catch((error) => ({ file: 'the report', problem: 'it could not be loaded: ' + error.message }))
      .then((answer) => {
        if (ticket !== loading) return;
        status('');
        if (answer.problem !== undefined) showProblem(answer.file, answer.problem);
        else showReport(answer.file, answer);
      });
  }
`;

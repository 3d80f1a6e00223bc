/**
 * The inspector page's replay: a session report played back on the page's own diagrams, actor
 * list and event log, with a time slider, play/pause, arrow keys stepping entry by entry, and the
 * transcript beside them, all at the slider's time.
 *
 * A report arrives from the server (`--replay report.json`: `GET /replay`) or as a file dropped on
 * the page (or chosen with "open report…"): the page reads and checks it with readReport, the
 * check the server runs too, and asks the server only to lay out its machines
 * (`POST /replay/diagrams`). A bad file leaves what is shown as it was and says what is wrong.
 *
 * Playing back is done by the live page's own code: each position of the slider is turned into
 * the feed messages a live page would have received by then (its actors, their states, the events
 * so far), and applied. So a finished conversation looks the way a live one does.
 */
import { activeStateIdsIn } from './definition_states.js';
import { readReport } from './report_check.js';
import { REPLAY_SCRIPT } from './replay_script.js';

/** What the page needs to know of the server to replay. */
export interface ReplayPageOptions {
  /** Where the report given with `--replay` is served; null when none was. */
  reportPath: string | null;
  diagramsPath: string;
  /** The report version the page reads (SESSION_REPORT_VERSION). */
  version: number;
  /** Files bigger than this are refused before being read. */
  maxBytes: number;
}

/** The replay's parts of the page, inserted by page_html.ts. */
export const REPLAY_HEADER = `<label id="open-report" class="open" title="or drop a report anywhere on the page">open report…<input id="report-file" type="file" accept=".json,application/json"></label>
  <span id="replay-status" role="status"></span>`;

export const REPLAY_MARKUP = `<section id="replay-bar" aria-label="replay">
  <strong id="replay-file"></strong>
  <button id="replay-prev" type="button" title="previous entry (←)">◀</button>
  <button id="replay-play" type="button" aria-pressed="false">play</button>
  <button id="replay-next" type="button" title="next entry (→)">▶</button>
  <input id="replay-slider" type="range" min="0" max="0" step="1" value="0" aria-label="time in the conversation">
  <span id="replay-time"></span>
  <button id="replay-live" type="button" title="back to the actors running now">live view</button>
</section>
<section id="transcript-pane">
  <header><h2>Transcript</h2><span id="transcript-count"></span></header>
  <ol id="transcript"></ol>
</section>
<div id="replay-problem" role="alert"><strong id="replay-problem-file"></strong>: <span id="replay-problem-text"></span>
  <p>Drop another session report on the page, or open one.</p><button id="replay-problem-close" type="button">dismiss</button></div>
<div id="drop-zone"><p>Drop a session report (JSON) to replay it</p></div>`;

export const REPLAY_STYLE = `
#counts, #top .open { white-space: nowrap; }
#top .open { cursor: pointer; padding: 1px 8px; border-radius: 9px; border: 1px solid #475569; color: #e2e8f0; }
#top .open:hover { background: #1e293b; }
#report-file { position: absolute; width: 1px; height: 1px; opacity: 0; pointer-events: none; }
#replay-status { color: #fbbf24; }
#replay-bar, #transcript-pane { display: none; }
body.replaying { grid-template-columns: 330px 1fr 340px; grid-template-rows: auto auto 1fr 34vh; }
body.replaying #top { grid-column: 1 / 4; }
body.replaying #connection { display: none; }
body.replaying #replay-bar { display: flex; grid-column: 1 / 4; grid-row: 2; gap: 10px; align-items: center; padding: 6px 14px; background: #1e293b; color: #f8fafc; }
#replay-bar button { font: inherit; font-size: 12px; padding: 1px 10px; cursor: pointer; }
#replay-slider { flex: 1; min-width: 120px; accent-color: var(--accent); }
#replay-time { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; white-space: nowrap; }
body.replaying #actors-pane { grid-row: 3; }
body.replaying #machines { grid-row: 3; grid-column: 2; }
body.replaying #log-pane { grid-row: 4; }
body.replaying.zooming #machines, body.replaying.zooming #actors-pane { grid-row: 3 / 5; }
/* A replay shows the report's machines only: the live page's wait for it to end. */
body.replaying section.machine:not([data-machine^="replay:"]) { display: none; }
body.replaying #transcript-pane { display: flex; flex-direction: column; grid-column: 3; grid-row: 3 / 5; min-height: 0; border-left: 1px solid var(--line); background: #fff; }
#transcript-pane > header { display: flex; gap: 10px; align-items: baseline; padding: 8px 10px 4px; }
#transcript-count { color: var(--muted); font-size: 12px; }
#transcript { list-style: none; margin: 0; padding: 4px 10px 10px; overflow: auto; flex: 1; min-height: 0; }
#transcript li { margin: 0 0 8px; padding: 6px 9px; border-radius: 8px; background: #f1f5f9; }
#transcript li[data-role="user"] { background: #e0f2fe; margin-left: 28px; }
#transcript li[data-role="assistant"] { background: #fef3c7; margin-right: 28px; }
#transcript li[data-type="function_call"], #transcript li[data-type="function_call_output"] { background: #ede9fe; font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 12px; word-break: break-all; }
#transcript li[data-type="agent_handoff"] { background: none; padding: 0 9px; color: var(--muted); font-style: italic; text-align: center; }
#transcript .who { display: block; font-size: 11px; color: var(--muted); }
#transcript .note { margin-left: 6px; font-size: 11px; color: #b91c1c; }
#log tr.current td { background: #fef3c7; }
#replay-problem { display: none; position: fixed; z-index: 10; top: 48px; left: 50%; transform: translateX(-50%); width: max-content; max-width: min(760px, 92vw);
  padding: 10px 14px; border: 1px solid #b91c1c; border-radius: 8px; background: #fef2f2; color: #7f1d1d; box-shadow: 0 6px 24px rgb(15 23 42 / .25); }
#replay-problem.open { display: block; }
#replay-problem p { margin: 6px 0 0; color: #334155; }
#replay-problem button { margin-top: 6px; font: inherit; font-size: 12px; cursor: pointer; }
#drop-zone { display: none; position: fixed; z-index: 20; inset: 0; align-items: center; justify-content: center;
  background: rgb(15 23 42 / .6); color: #fff; font-size: 20px; border: 4px dashed var(--accent); }
body.dropping #drop-zone { display: flex; }
`;

/**
 * The replay's script, inside the page's: it uses the page's own functions (apply, reset,
 * addMachine, …) and its socket (connect). readReport and activeStateIdsIn come in by their
 * source, with what the page needs to know of the server.
 */
export function replayScript(options: ReplayPageOptions): string {
  return `
  const REPORT_PATH = ${JSON.stringify(options.reportPath)};
  const DIAGRAMS_PATH = ${JSON.stringify(options.diagramsPath)};
  const REPORT_VERSION = ${JSON.stringify(options.version)};
  const MAX_REPORT_BYTES = ${JSON.stringify(options.maxBytes)};
  // When the server runs from TypeScript through tsx, esbuild's keepNames wraps the functions below
  // in __name(fn, "name") calls; here that is a no-op.
  const __name = (target) => target;
  ${readReport.toString()}
  ${activeStateIdsIn.toString()}
${REPLAY_SCRIPT}`;
}

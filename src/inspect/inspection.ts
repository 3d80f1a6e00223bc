/**
 * `--inspect`: the one entry point for console and dev mode. Starts voxstate's own inspector page
 * (works offline) and, when asked, the Stately Inspector bridge beside it, and connects every
 * actor started from then on to both. `--replay report.json` opens the page on a session report.
 */
import { addInspector } from './registry.js';
import type { InspectorPage } from './inspector_page.js';
import type { InvalidReportError } from './invalid_report_error.js';
import type { StatelyInspector } from './stately.js';

export interface InspectionOptions {
  /** Port of voxstate's inspector page; 0 picks a free one. Default 0. */
  port?: number;
  /** Interface both servers listen on. Default 127.0.0.1: they have no authentication. */
  host?: string;
  /**
   * Also serve the Stately Inspector bridge (https://stately.ai/inspect, so the browser needs the
   * internet). Default false; `--inspect` turns it on.
   */
  stately?: boolean;
  /** Port of the Stately bridge; 0 picks a free one. Default: the page's port + 1, or 0 if that is 0. */
  statelyPort?: number;
  /** Where the URLs are announced, one line each; false for silence. Default: standard output. */
  print?: ((line: string) => void) | false;
  /**
   * A session report file (JSON, see SessionReport) the page opens on and plays back: its
   * actors' states on the diagrams, the events and the transcript, at a time slider's position.
   * A file that cannot be replayed is not an error here: what is wrong is announced (`print`),
   * shown on the page, and in `Inspection.replay.error`; the page stays open for another file.
   */
  replay?: string;
}

export interface Inspection {
  /** voxstate's inspector page. */
  pageUrl: string;
  page: InspectorPage;
  /** The Stately Inspector bridge, if started. */
  statelyUrl: string | undefined;
  stately: StatelyInspector | undefined;
  /** The report given as `replay`: its file name, and why it cannot be replayed, if it cannot. */
  replay: { file: string; error: InvalidReportError | undefined } | undefined;
  /** Disconnects the actors, the pages, and stops both servers. */
  close(): Promise<void>;
}

/**
 * Starts inspection of every actor voxstate starts from now on (actors already running are not
 * shown). Call it before starting the job or server; `close()` when the program ends.
 */
export async function startInspection(options: InspectionOptions = {}): Promise<Inspection> {
  const host = options.host ?? '127.0.0.1';
  const port = options.port ?? 0;
  // Both servers are loaded on demand: the page lays its diagrams out with dagre, the bridge runs
  // @statelyai/inspect, and an application that never inspects should not load either.
  const { startInspectorPage } = await import('./inspector_page.js');
  const page = await startInspectorPage({ port, host, ...(options.replay === undefined ? {} : { replay: options.replay }) });
  let stately: StatelyInspector | undefined;
  if (options.stately === true) {
    try {
      const { startStatelyInspector } = await import('./stately.js');
      stately = await startStatelyInspector({
        host,
        port: options.statelyPort ?? (port === 0 ? 0 : port + 1),
        // Without the internet the bridge page has nothing to show: it points here instead.
        offlinePageUrl: page.url,
      });
    } catch (error) {
      await page.close();
      throw error;
    }
  }
  const removals = [addInspector(page.inspect), ...(stately ? [addInspector(stately.inspect)] : [])];
  const print = options.print === false ? undefined : (options.print ?? ((line: string) => process.stdout.write(`${line}\n`)));
  print?.(`voxstate inspector: ${page.url}`);
  if (stately) print?.(`Stately Inspector bridge: ${stately.url} (needs the internet in the browser)`);
  // Read and laid out meanwhile (it never rejects): what came of it is the next line.
  const replay = await page.replay;
  if (replay?.error) print?.(`cannot replay ${replay.file}: ${replay.error.problem}`);
  else if (replay) print?.(`replaying ${replay.file} on the inspector page (${replay.report.timeline.length} transitions, ${replay.report.history.length} items of history)`);

  let closing: Promise<void> | undefined;
  return {
    pageUrl: page.url,
    page,
    statelyUrl: stately?.url,
    stately,
    replay: replay && { file: replay.file, error: replay.error },
    close() {
      closing ??= (async () => {
        for (const remove of removals) remove();
        await Promise.all([page.close(), stately?.close()]);
      })();
      return closing;
    },
  };
}

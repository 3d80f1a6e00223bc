/**
 * The Stately bridge's page: the Stately Inspector in a full-window iframe, fed with the relay's
 * messages. Messages wait until the inspector announces `@statelyai.connected`; from then on they
 * go to the origin that announced it, so if the frame navigates elsewhere the data does not follow.
 *
 * The inspector comes from the internet. Until it has connected, a notice says so; when the
 * browser cannot reach it, the notice covers the frame (which would stay blank, or show the
 * browser's error page) and says in words what the page needs, and that voxstate's own inspector
 * page works offline.
 */
import { escapeXml } from '../viz/escape_xml.js';

export interface BridgeHtmlOptions {
  /** The Stately Inspector the frame loads. */
  inspectorUrl: string;
  /** The relay's WebSocket path that pages read. */
  pagePath: string;
  /** voxstate's own inspector page, linked as the offline alternative, when it runs. */
  offlinePageUrl?: string | undefined;
}

/** A value for the page's script: JSON, with `<` escaped so no text can close the script element. */
const scriptValue = (value: unknown) => JSON.stringify(value).replaceAll('<', '\\u003c');

/** The bridge page's HTML: self-contained but for the inspector frame (and the probe of its URL). */
export function bridgeHtml(options: BridgeHtmlOptions): string {
  const inspector = escapeXml(options.inspectorUrl);
  const offline =
    options.offlinePageUrl === undefined
      ? "voxstate's own inspector page works without the internet: start it with <code>startInspection()</code> or <code>--inspect</code>."
      : `voxstate's own inspector page works without the internet: <a id="offline-page" href="${escapeXml(options.offlinePageUrl)}">${escapeXml(options.offlinePageUrl)}</a>`;
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>voxstate · Stately Inspector</title>
<style>
html, body { margin: 0; height: 100%; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; color: #0f172a; }
iframe { display: block; border: 0; width: 100%; height: 100%; }
#notice { position: fixed; top: 0; left: 0; right: 0; padding: 8px 16px; background: #fffbeb; border-bottom: 1px solid #f59e0b; }
#notice h1 { font-size: 15px; margin: 0; display: inline; }
#notice p { margin: 0; display: inline; }
#notice[data-state="connected"] { display: none; }
/* Unreachable: the frame has nothing to show, so the words take the whole window. */
#notice[data-state="unreachable"] { bottom: 0; display: flex; flex-direction: column; justify-content: center; gap: 12px; padding: 0 max(24px, calc(50% - 340px)); background: #f8fafc; border: 0; }
#notice[data-state="unreachable"] h1 { display: block; font-size: 22px; color: #b91c1c; }
#notice[data-state="unreachable"] p { display: block; }
</style>
</head>
<body>
<iframe id="inspector" title="Stately Inspector" src="${inspector}"></iframe>
<div id="notice" role="status" data-state="loading">
  <h1 id="notice-title">Loading the Stately Inspector…</h1>
  <p id="notice-need">This page shows voxstate's actors in the Stately Inspector, which the browser loads from <a href="${inspector}">${inspector}</a>: it needs the internet.</p>
  <p id="notice-offline">${offline}</p>
</div>
<script>
(() => {
  const INSPECTOR_URL = ${scriptValue(options.inspectorUrl)};
  const frame = document.getElementById('inspector');
  const notice = document.getElementById('notice');
  const waiting = [];
  let inspectorOrigin = null;
  const deliver = (message) => frame.contentWindow.postMessage(message, inspectorOrigin);

  window.addEventListener('message', (event) => {
    if (event.source !== frame.contentWindow) return;
    if (!event.data || event.data.type !== '@statelyai.connected') return;
    inspectorOrigin = event.origin;
    notice.setAttribute('data-state', 'connected');
    waiting.splice(0).forEach(deliver);
  });

  // A frame that cannot load fires no error event: ask the network directly. An opaque answer
  // means the inspector is reachable; a rejection means the browser is offline or blocked.
  fetch(INSPECTOR_URL, { mode: 'no-cors', cache: 'no-store', credentials: 'omit' }).catch(() => {
    if (inspectorOrigin !== null) return;
    notice.setAttribute('data-state', 'unreachable');
    document.getElementById('notice-title').textContent = 'The Stately Inspector could not be loaded';
    document.getElementById('notice-need').append(' This browser could not reach it. Reload this page once it is online.');
  });

  const socket = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + ${scriptValue(options.pagePath)});
  socket.onmessage = (event) => {
    let message;
    try { message = JSON.parse(event.data); } catch { return; }
    if (inspectorOrigin !== null) { deliver(message); return; }
    waiting.push(message);
    if (waiting.length > 5000) waiting.shift();
  };
  socket.onclose = () => { document.title = 'voxstate · Stately Inspector (disconnected)'; };
})();
</script>
</body>
</html>
`;
}

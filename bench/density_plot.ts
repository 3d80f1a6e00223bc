/**
 * The density curve as an SVG: concurrent sessions (log scale) against processing lag (p50 and p99,
 * with the limit) and the CPU the process used, one point per run (a level run twice has two).
 * Written beside the bench's JSON, under bench/out/.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface DensityPoint {
  sessions: number;
  processingLagMs: { p50: number; p99: number };
  cpu: { thisProcessPercentOfOneCore: number };
  heapPerLiveSessionKB: number;
  rssPerLiveSessionKB: number;
  met: boolean;
}

const WIDTH = 720;
const HEIGHT = 420;
const PAD = { left: 60, right: 70, top: 40, bottom: 50 };

/** Renders the curve; returns the file written. */
export function writeDensityPlot(points: readonly DensityPoint[], limitMs: number, file = 'density.svg'): string {
  const dir = fileURLToPath(new URL('./out/', import.meta.url));
  mkdirSync(dir, { recursive: true });
  const path = `${dir}${file}`;
  writeFileSync(path, densitySvg(points, limitMs));
  return path;
}

export function densitySvg(points: readonly DensityPoint[], limitMs: number): string {
  const counts = points.map((point) => point.sessions);
  const maxCount = Math.max(2, ...counts);
  const maxLag = Math.max(limitMs * 1.5, ...points.map((point) => point.processingLagMs.p99));
  const plotW = WIDTH - PAD.left - PAD.right;
  const plotH = HEIGHT - PAD.top - PAD.bottom;
  const x = (sessions: number) => PAD.left + (Math.log2(Math.max(1, sessions)) / Math.log2(maxCount)) * plotW;
  const yLag = (ms: number) => PAD.top + plotH - (ms / maxLag) * plotH;
  const yCpu = (percent: number) => PAD.top + plotH - (Math.min(100, percent) / 100) * plotH;
  const polyline = (values: Array<[number, number]>, style: string) =>
    `<polyline fill="none" ${style} points="${values.map(([px, py]) => `${px.toFixed(1)},${py.toFixed(1)}`).join(' ')}"/>`;
  const ticks: string[] = [];
  for (let n = 1; n <= maxCount; n *= 2) {
    ticks.push(`<line x1="${x(n)}" y1="${PAD.top + plotH}" x2="${x(n)}" y2="${PAD.top + plotH + 5}" stroke="#333"/>`);
    ticks.push(`<text x="${x(n)}" y="${PAD.top + plotH + 20}" text-anchor="middle">${n}</text>`);
  }
  for (let ms = 0; ms <= maxLag; ms += 10) {
    ticks.push(`<text x="${PAD.left - 8}" y="${yLag(ms) + 4}" text-anchor="end">${ms}</text>`);
    ticks.push(`<line x1="${PAD.left}" y1="${yLag(ms)}" x2="${PAD.left + plotW}" y2="${yLag(ms)}" stroke="#eee"/>`);
  }
  for (let percent = 0; percent <= 100; percent += 25) {
    ticks.push(`<text x="${PAD.left + plotW + 8}" y="${yCpu(percent) + 4}" fill="#777">${percent} %</text>`);
  }
  const byCount = (select: (point: DensityPoint) => number) => points.map((point) => [x(point.sessions), select(point)] as [number, number]);
  const dots = points
    .map(
      (point) =>
        `<circle cx="${x(point.sessions).toFixed(1)}" cy="${yLag(point.processingLagMs.p99).toFixed(1)}" r="4" fill="${point.met ? '#2a7' : '#c33'}"><title>${point.sessions} sessions: p50 ${point.processingLagMs.p50} ms, p99 ${point.processingLagMs.p99} ms, CPU ${point.cpu.thisProcessPercentOfOneCore} %, heap ${point.heapPerLiveSessionKB} KB and RSS ${point.rssPerLiveSessionKB} KB per session</title></circle>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${WIDTH}" height="${HEIGHT}" font-family="sans-serif" font-size="12">
<rect width="${WIDTH}" height="${HEIGHT}" fill="#fff"/>
<text x="${PAD.left}" y="22" font-size="14">Voice sessions in one process: processing lag (ms) and CPU (% of one core)</text>
${ticks.join('\n')}
<line x1="${PAD.left}" y1="${yLag(limitMs)}" x2="${PAD.left + plotW}" y2="${yLag(limitMs)}" stroke="#c33" stroke-dasharray="6 4"/>
<text x="${PAD.left + 4}" y="${yLag(limitMs) - 4}" fill="#c33">limit ${limitMs} ms (p99)</text>
${polyline(byCount((point) => yLag(point.processingLagMs.p50)), 'stroke="#58a" stroke-width="2"')}
${polyline(byCount((point) => yLag(point.processingLagMs.p99)), 'stroke="#222" stroke-width="2"')}
${polyline(byCount((point) => yCpu(point.cpu.thisProcessPercentOfOneCore)), 'stroke="#999" stroke-width="1.5" stroke-dasharray="3 3"')}
${dots}
<text x="${PAD.left + plotW / 2}" y="${HEIGHT - 10}" text-anchor="middle">concurrent sessions</text>
<text x="${PAD.left + 10}" y="${PAD.top + 14}" fill="#222">— p99 lag</text>
<text x="${PAD.left + 90}" y="${PAD.top + 14}" fill="#58a">— p50 lag</text>
<text x="${PAD.left + 170}" y="${PAD.top + 14}" fill="#999">- - CPU</text>
</svg>
`;
}

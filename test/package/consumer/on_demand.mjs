// The parts of voxstate loaded only when used, used: the inspector page (its diagrams are laid out
// with dagre), the Stately Inspector bridge (@statelyai/inspect), the Silero VAD (onnxruntime-node).
import { silero, startInspection } from 'voxstate';

const inspection = await startInspection({ port: 0, stately: true, print: false });
const page = await (await fetch(inspection.pageUrl)).text();
await inspection.close();
const vad = await silero.VAD.load();
console.log(JSON.stringify({
  states: (page.match(/data-state-id=/g) ?? []).length,
  stately: inspection.statelyUrl !== undefined,
  vadSampleRate: vad.options.sampleRate,
}));

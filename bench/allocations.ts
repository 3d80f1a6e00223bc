/**
 * What the code under a benchmark allocates: V8's sampling heap profiler, counting what scavenges
 * and full GCs collect and what stays, told by the function that allocated (a builtin's bytes, a
 * Promise's or a Set's, under the function that called it) and by layer.
 */
import { Session } from 'node:inspector/promises';

/** Bytes allocated, in all and by allocating function. */
export interface Allocations {
  total: number;
  byFunction: Map<string, number>;
}

interface ProfileNode {
  callFrame: { functionName: string; url: string };
  selfSize: number;
  children: ProfileNode[];
}

/** Samples every allocation V8 makes from now until the returned function is called. */
export async function sampleAllocations(): Promise<() => Promise<Allocations>> {
  const inspector = new Session();
  inspector.connect();
  await inspector.post('HeapProfiler.startSampling', {
    samplingInterval: 256,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  } as never);
  return async () => {
    try {
      const { profile } = (await inspector.post('HeapProfiler.stopSampling')) as unknown as { profile: { head: ProfileNode } };
      return byFunction(profile.head);
    } finally {
      inspector.disconnect();
    }
  };
}

function byFunction(head: ProfileNode): Allocations {
  const bytes = new Map<string, number>();
  let total = 0;
  const walk = (node: ProfileNode, caller: string) => {
    const { functionName, url } = node.callFrame;
    const name = `${functionName || '(anonymous)'} ${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(src|bench|machines)\//, '$1/')}`;
    const key = url ? name : caller;
    if (node.selfSize > 0) {
      bytes.set(key, (bytes.get(key) ?? 0) + node.selfSize);
      total += node.selfSize;
    }
    for (const child of node.children) walk(child, key);
  };
  walk(head, '(V8)');
  return { total, byFunction: bytes };
}

/** Where an allocating function belongs. */
function layerOf(key: string): string {
  const file = key.slice(key.indexOf(' ') + 1);
  if (file.startsWith('xstate/')) return 'statecharts (xstate)';
  if (file.startsWith('machines/')) return "statecharts (voxstate's machines: guards, actions)";
  if (file.startsWith('onnxruntime')) return 'onnxruntime (js)';
  if (file.startsWith('src/plugins/silero/')) return 'vad (silero plugin)';
  if (file.startsWith('src/turn/')) return 'audio recognition and turn';
  if (file.startsWith('src/audio/') || file.startsWith('src/speech/')) return 'audio out and speech';
  if (file.startsWith('src/testing/')) return 'fake stt/llm/tts';
  if (file.startsWith('src/')) return `session and the rest of src (${file.split('/')[1]})`;
  if (file.startsWith('node:internal/async_hooks')) return 'async context (AsyncLocalStorage promise hooks)';
  if (file.startsWith('bench/')) return 'this bench (its feeding, its probes)';
  return 'node and V8 (timers, promises, other)';
}

/** Bytes by layer, largest first, each divided by `per` (frames, turns) and rounded. */
export function byLayer(allocations: Allocations, per: (bytes: number) => number): Record<string, number> {
  const layers = new Map<string, number>();
  for (const [key, bytes] of allocations.byFunction) layers.set(layerOf(key), (layers.get(layerOf(key)) ?? 0) + bytes);
  return Object.fromEntries([...layers].sort((a, b) => b[1] - a[1]).map(([layer, bytes]) => [layer, per(bytes)]));
}

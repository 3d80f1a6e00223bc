/**
 * Emit throughput of voxstate's EventEmitter beside eventemitter3 and node:events, same workload:
 * one event with one argument, delivered to 1 and to 10 listeners that each increment a counter.
 * The implementations run interleaved in every round (so background load hits them alike), and the
 * median emits/s over the rounds is reported. Target: ours >= 0.8x eventemitter3.
 */
import { EventEmitter as NodeEmitter } from 'node:events';
import { EventEmitter as EE3 } from 'eventemitter3';
import { EventEmitter } from '../src/events/emitter.js';

const ROUNDS = 9;
const WARMUP_ROUNDS = 2;
/** Deliveries per round (emits × listeners), so both sizes take about as long. */
const DELIVERIES = 4_000_000;
const TARGET = 0.8;

type Events = { tick: (n: number) => void };
type Impl = 'voxstate' | 'eventemitter3' | 'node:events';

const counter = { value: 0 };

function makeListeners(count: number): Array<(n: number) => void> {
  // Distinct functions: voxstate registers a function at most once per event.
  return Array.from({ length: count }, () => (n: number) => {
    counter.value += n;
  });
}

// One loop per implementation, so no emit call site sees more than one emitter class.
function loopOurs(emitter: EventEmitter<Events>, emits: number): void {
  for (let i = 0; i < emits; i++) emitter.emit('tick', 1);
}
function loopEE3(emitter: EE3, emits: number): void {
  for (let i = 0; i < emits; i++) emitter.emit('tick', 1);
}
function loopNode(emitter: NodeEmitter, emits: number): void {
  for (let i = 0; i < emits; i++) emitter.emit('tick', 1);
}

function setup(impl: Impl, listeners: number): (emits: number) => void {
  const fns = makeListeners(listeners);
  switch (impl) {
    case 'voxstate': {
      const emitter = new EventEmitter<Events>();
      for (const fn of fns) emitter.on('tick', fn);
      return (emits) => loopOurs(emitter, emits);
    }
    case 'eventemitter3': {
      const emitter = new EE3();
      for (const fn of fns) emitter.on('tick', fn);
      return (emits) => loopEE3(emitter, emits);
    }
    case 'node:events': {
      const emitter = new NodeEmitter();
      emitter.setMaxListeners(0);
      for (const fn of fns) emitter.on('tick', fn);
      return (emits) => loopNode(emitter, emits);
    }
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const gc = (globalThis as { gc?: () => void }).gc;

function measure(listeners: number): Record<Impl, number> {
  const impls: Impl[] = ['eventemitter3', 'node:events', 'voxstate'];
  const emits = Math.round(DELIVERIES / listeners);
  const runners = Object.fromEntries(impls.map((impl) => [impl, setup(impl, listeners)])) as Record<Impl, (n: number) => void>;
  const samples: Record<Impl, number[]> = { voxstate: [], eventemitter3: [], 'node:events': [] };
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    // Rotate the order so no implementation always runs first (or right after a GC).
    const order = impls.map((_, i) => impls[(i + round) % impls.length]!);
    for (const impl of order) {
      gc?.();
      const before = counter.value;
      const start = process.hrtime.bigint();
      runners[impl](emits);
      const ns = Number(process.hrtime.bigint() - start);
      if (counter.value - before !== emits * listeners) {
        throw new Error(`${impl}: ${counter.value - before} deliveries, expected ${emits * listeners}`);
      }
      if (round >= WARMUP_ROUNDS) samples[impl].push((emits / ns) * 1e9);
    }
  }
  return {
    voxstate: Math.round(median(samples.voxstate)),
    eventemitter3: Math.round(median(samples.eventemitter3)),
    'node:events': Math.round(median(samples['node:events'])),
  };
}

export async function run(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  let met = true;
  for (const listeners of [1, 10]) {
    const emitsPerSecond = measure(listeners);
    const ratio = emitsPerSecond.voxstate / emitsPerSecond.eventemitter3;
    met &&= ratio >= TARGET;
    results[`listeners_${listeners}`] = {
      median_emits_per_s: emitsPerSecond,
      ratio_voxstate_to_eventemitter3: Number(ratio.toFixed(3)),
      ratio_voxstate_to_node_events: Number((emitsPerSecond.voxstate / emitsPerSecond['node:events']).toFixed(3)),
    };
  }
  return {
    workload: `emit('tick', 1) to N listeners each adding to a counter; ${DELIVERIES} deliveries per round, median of ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up`,
    gc_between_runs: gc !== undefined,
    ...results,
    target: { target: `>= ${TARGET}x eventemitter3`, met },
  };
}

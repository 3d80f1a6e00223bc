/**
 * Emit throughput of the runtime event bus (AgentRuntime.emit) beside eventemitter3, same run, same
 * workload: one event with one payload delivered to 1, 10 and 100 handlers that each add to a
 * counter, with no middleware and with one pass-through middleware. Rounds interleave the
 * variants (so background load hits them alike); the median emits/s over the rounds is reported.
 *
 * The bus and eventemitter3 do not do the same work per emit: eventemitter3 calls its listeners
 * inside emit; the bus returns a promise, calls the handlers on the next microtask, each isolated
 * (a throw is caught and reported), and resolves once all have settled. Two ways of emitting are
 * measured: `awaited` (each emit awaited before the next, as a publisher that waits would) and
 * `pipelined` (emits issued back to back, awaited per batch of 1,000, as the lifecycle publishers
 * do with `void runtime.emit(...)`).
 */
import { EventEmitter as EE3 } from 'eventemitter3';
import { AgentRuntime } from '../src/bus/runtime.js';

const ROUNDS = 7;
const WARMUP_ROUNDS = 2;
/** Deliveries per round (emits × handlers), so every size takes about as long. */
const DELIVERIES = 2_000_000;
const BATCH = 1_000;

const counter = { value: 0 };
const payload = { worldId: 'w' };

type Variant = 'eventemitter3' | 'bus awaited' | 'bus pipelined' | 'bus awaited + middleware' | 'bus pipelined + middleware';
const VARIANTS: Variant[] = ['eventemitter3', 'bus awaited', 'bus pipelined', 'bus awaited + middleware', 'bus pipelined + middleware'];

function handlers(count: number): Array<(p: { worldId: string }) => void> {
  // Distinct functions: both register a function at most once per event... eventemitter3 would not care.
  return Array.from({ length: count }, () => () => {
    counter.value += 1;
  });
}

function ee3(count: number): (emits: number) => Promise<void> {
  const emitter = new EE3();
  for (const fn of handlers(count)) emitter.on('world:joined', fn);
  return async (emits) => {
    for (let i = 0; i < emits; i++) emitter.emit('world:joined', payload);
  };
}

function bus(count: number, mode: 'awaited' | 'pipelined', middleware: boolean): (emits: number) => Promise<void> {
  const runtime = new AgentRuntime();
  for (const fn of handlers(count)) runtime.on('world:joined', fn);
  if (middleware) runtime.use(() => undefined);
  if (mode === 'awaited') {
    return async (emits) => {
      for (let i = 0; i < emits; i++) await runtime.emit('world:joined', payload);
    };
  }
  return async (emits) => {
    const pending: Array<Promise<void>> = new Array(BATCH);
    for (let i = 0; i < emits; ) {
      let n = 0;
      for (; n < BATCH && i < emits; n++, i++) pending[n] = runtime.emit('world:joined', payload);
      await Promise.all(n === BATCH ? pending : pending.slice(0, n));
    }
  };
}

function setup(variant: Variant, count: number): (emits: number) => Promise<void> {
  switch (variant) {
    case 'eventemitter3':
      return ee3(count);
    case 'bus awaited':
      return bus(count, 'awaited', false);
    case 'bus pipelined':
      return bus(count, 'pipelined', false);
    case 'bus awaited + middleware':
      return bus(count, 'awaited', true);
    case 'bus pipelined + middleware':
      return bus(count, 'pipelined', true);
  }
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

const gc = (globalThis as { gc?: () => void }).gc;

async function measure(count: number): Promise<Record<Variant, number>> {
  const emits = Math.round(DELIVERIES / count);
  const runners = Object.fromEntries(VARIANTS.map((variant) => [variant, setup(variant, count)])) as Record<Variant, (n: number) => Promise<void>>;
  const samples = Object.fromEntries(VARIANTS.map((variant) => [variant, [] as number[]])) as Record<Variant, number[]>;
  for (let round = 0; round < WARMUP_ROUNDS + ROUNDS; round++) {
    const order = VARIANTS.map((_, i) => VARIANTS[(i + round) % VARIANTS.length]!);
    for (const variant of order) {
      gc?.();
      const before = counter.value;
      const start = process.hrtime.bigint();
      await runners[variant](emits);
      const ns = Number(process.hrtime.bigint() - start);
      if (counter.value - before !== emits * count) throw new Error(`${variant}: ${counter.value - before} deliveries, expected ${emits * count}`);
      if (round >= WARMUP_ROUNDS) samples[variant].push((emits / ns) * 1e9);
    }
  }
  return Object.fromEntries(VARIANTS.map((variant) => [variant, Math.round(median(samples[variant]))])) as Record<Variant, number>;
}

export async function run(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  for (const count of [1, 10, 100]) {
    const emitsPerSecond = await measure(count);
    const ratio = (variant: Variant) => Number((emitsPerSecond[variant] / emitsPerSecond.eventemitter3).toFixed(3));
    results[`handlers_${count}`] = {
      median_emits_per_s: emitsPerSecond,
      ratio_to_eventemitter3: Object.fromEntries(VARIANTS.filter((v) => v !== 'eventemitter3').map((v) => [v, ratio(v)])),
    };
  }
  // What a session without a runtime pays: nothing is attached, so only this, per emit with no
  // handler and no middleware (the lifecycle publishers are not even subscribed).
  const idle = new AgentRuntime();
  const idleEmits = 5_000_000;
  const start = process.hrtime.bigint();
  for (let i = 0; i < idleEmits; i++) void idle.emit('world:joined', payload);
  const idleNs = Number(process.hrtime.bigint() - start);
  return {
    workload: `emit('world:joined', payload) to N handlers each adding to a counter; ${DELIVERIES} deliveries per round, median of ${ROUNDS} rounds after ${WARMUP_ROUNDS} warm-up; middleware = one pass-through`,
    gc_between_runs: gc !== undefined,
    ...results,
    no_handler_emits_per_s: Math.round((idleEmits / idleNs) * 1e9),
  };
}

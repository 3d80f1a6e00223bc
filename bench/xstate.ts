/**
 * XState's own cost, the floor under every statechart voxstate runs: bytes allocated on V8's heap
 * and µs of CPU for one transition of a two-state machine, one event handled without a change of
 * state, one event nothing handles, and one actor created, started and stopped (none of voxstate's
 * code runs). A text turn is 7 transitions of the session and speech statecharts, one event handled
 * in place and one speech actor: `textTurnFloorKB` is what XState alone allocates for that, beside
 * which bench/turn.ts's `allocatedKBPerTurnP50` is read. `fewestStepsTextTurnFloorKB`: the same for
 * the fewest steps a text turn's observable states allow: the agent thinks, speaks and listens
 * again (three transitions, each an `agent_state_changed`), and one speech actor plays and ends (two).
 */
import v8 from 'node:v8';
import { createActor, setup } from 'xstate';
import { p50, round } from './stats.js';

const ROUNDS = 50;
const PER_ROUND = 200;

const toggle = setup({}).createMachine({
  initial: 'a',
  states: { a: { on: { go: 'b' } }, b: { on: { go: 'a' } } },
});

const inPlace = setup({ actions: { note: () => {} } }).createMachine({
  initial: 'a',
  states: { a: { on: { poke: { actions: 'note' } } } },
});

function youngBytes(): number {
  return v8.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')!.space_used_size;
}

/** Median bytes and CPU µs of one `operation`, over rounds no scavenge interrupted. */
function measure(operation: () => void): { bytes: number; cpuMicros: number } {
  for (let i = 0; i < 5_000; i++) operation();
  const bytes: number[] = [];
  const micros: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const before = youngBytes();
    const cpu = process.cpuUsage();
    for (let i = 0; i < PER_ROUND; i++) operation();
    const used = process.cpuUsage(cpu);
    const after = youngBytes();
    micros.push((used.user + used.system) / PER_ROUND);
    // A scavenge during the round empties the young generation: that round tells nothing of bytes.
    if (after > before) bytes.push((after - before) / PER_ROUND);
  }
  return { bytes: Math.round(p50(bytes)), cpuMicros: round(p50(micros), 2) };
}

export async function run(): Promise<Record<string, unknown>> {
  const toggling = createActor(toggle).start();
  const poked = createActor(inPlace).start();
  const transition = measure(() => toggling.send({ type: 'go' }));
  const handledInPlace = measure(() => poked.send({ type: 'poke' }));
  const unhandled = measure(() => toggling.send({ type: 'nobody' } as never));
  const actor = measure(() => createActor(toggle).start().stop());
  return {
    transition,
    handledInPlace,
    unhandled,
    actorCreatedStartedStopped: actor,
    textTurnFloorKB: round((7 * transition.bytes + handledInPlace.bytes + actor.bytes) / 1024, 1),
    fewestStepsTextTurnFloorKB: round((5 * transition.bytes + actor.bytes) / 1024, 1),
  };
}

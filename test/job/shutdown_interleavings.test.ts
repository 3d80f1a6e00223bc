/**
 * Property tests of the shutdown contract under random interleavings of everything that can end a
 * job or a session, or happen meanwhile: session.aclose(), session.shutdown({ drain }),
 * ctx.shutdown(reason), the room closing, the worker's request, the user leaving the room (the last
 * standard participant: the job ends, and the session linked to the user closes), a handoff to
 * another agent, the user typing, and the output finishing a playout. Calls come in ticks: several in the same tick,
 * repeated, some awaited and some not; between ticks microtasks run, or a little fake time passes.
 *
 * The job's entrypoint starts an AgentSession with an Agent on ctx.room and registers two shutdown
 * callbacks that read the history. Whatever the interleaving:
 * - the session emits `close` exactly once;
 * - every agent runs onEnter at most once and runs onExit exactly as often as it entered (at most
 *   once per activation, and the agent active at close runs it exactly once);
 * - each shutdown callback runs exactly once, with the first reason, which is the job's reason;
 * - job.result resolves with status success (no hook fails here), and nothing reports an error;
 * - the history read inside the shutdown callbacks already holds every user message the session
 *   accepted and every assistant message it committed.
 */
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import {
  Agent,
  AgentSession,
  ClosedError,
  Job,
  JobProcess,
  LocalRoom,
  jobInfo,
  type ChatChunk,
  type ChatItem,
  type ChatRequest,
  type CloseEvent,
  type JobResult,
  type LLM,
  type VoxstateError,
} from '../../src/index.js';
import { ALL_PARTICIPANTS_LEFT } from '../../machines/job.js';
import { ScriptedOutput } from '../support/scripted_output.js';
import { settle, useFakeTime } from '../support/fake_time.js';

useFakeTime();

/** Answers each user turn with a text naming it, so every assistant message is distinct. */
class EchoLLM implements LLM {
  readonly label = 'echo';
  #replies = 0;
  async *chat(request: ChatRequest): AsyncIterable<ChatChunk> {
    this.#replies += 1;
    const last = request.chatCtx.messages().filter((m) => m.role === 'user').at(-1);
    yield { type: 'content', text: `reply ${this.#replies} to ${last?.content ?? 'nothing'}` };
  }
}

/** Counts its hooks; on exit it says goodbye (without waiting for it to be heard). */
class CountingAgent extends Agent {
  enters = 0;
  exits = 0;
  constructor(readonly name: string) {
    super({ instructions: `agent ${name}`, id: name });
  }
  override async onEnter(): Promise<void> {
    this.enters += 1;
  }
  override async onExit(): Promise<void> {
    this.exits += 1;
    this.session.say(`Goodbye from ${this.name}!`);
  }
}

type Op =
  | { kind: 'aclose'; awaited: boolean }
  | { kind: 'sessionShutdown'; drain: boolean }
  | { kind: 'ctxShutdown' }
  | { kind: 'roomClose' }
  | { kind: 'requestShutdown' }
  | { kind: 'userLeaves' }
  | { kind: 'handoff' }
  | { kind: 'userText'; awaited: boolean }
  | { kind: 'finishPlayout' };

/** What happens between two ticks. */
type Gap = { kind: 'none' } | { kind: 'microtask' } | { kind: 'flush' } | { kind: 'time'; ms: number };

interface Tick {
  ops: Op[];
  gap: Gap;
}

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({ kind: fc.constant('aclose' as const), awaited: fc.boolean() }),
  fc.record({ kind: fc.constant('sessionShutdown' as const), drain: fc.boolean() }),
  fc.record({ kind: fc.constant('ctxShutdown' as const) }),
  fc.record({ kind: fc.constant('roomClose' as const) }),
  fc.record({ kind: fc.constant('requestShutdown' as const) }),
  fc.record({ kind: fc.constant('userLeaves' as const) }),
  // The ones that do not end anything come more often, so they interleave with the closing.
  { arbitrary: fc.record({ kind: fc.constant('handoff' as const) }), weight: 2 },
  { arbitrary: fc.record({ kind: fc.constant('userText' as const), awaited: fc.boolean() }), weight: 3 },
  { arbitrary: fc.record({ kind: fc.constant('finishPlayout' as const) }), weight: 2 },
);

const gapArb: fc.Arbitrary<Gap> = fc.oneof(
  fc.constant({ kind: 'none' as const }),
  fc.constant({ kind: 'microtask' as const }),
  fc.constant({ kind: 'flush' as const }),
  fc.record({ kind: fc.constant('time' as const), ms: fc.integer({ min: 1, max: 2_000 }) }),
);

const runArb: fc.Arbitrary<Tick[]> = fc.array(fc.record({ ops: fc.array(opArb, { minLength: 1, maxLength: 4 }), gap: gapArb }), {
  minLength: 1,
  maxLength: 8,
});

interface Observed {
  closes: CloseEvent[];
  agents: CountingAgent[];
  /** Calls of each shutdown callback: the reason and the history as it read it. */
  callbacks: Array<Array<{ reason: string; history: readonly ChatItem[] }>>;
  /** Every shutdown trigger as it reached the job, oldest first. */
  triggers: string[];
  acceptedUserTexts: string[];
  assistantItems: ChatItem[];
  errors: VoxstateError[];
  result: JobResult | undefined;
}

async function runInterleaving(ticks: Tick[]): Promise<Observed> {
  vi.clearAllTimers();
  const observed: Observed = {
    closes: [],
    agents: [],
    callbacks: [[], []],
    triggers: [],
    acceptedUserTexts: [],
    assistantItems: [],
    errors: [],
    result: undefined,
  };
  const room = new LocalRoom({ name: 'interleavings' });
  const user = room.join({ identity: 'user' });
  const output = new ScriptedOutput();
  let session!: AgentSession;
  const job = new Job({
    info: jobInfo({ id: 'job-interleavings', roomName: room.name }),
    room,
    proc: new JobProcess(),
    entrypoint: async (ctx) => {
      session = new AgentSession({ llm: new EchoLLM() });
      session.output = output;
      // A session closing is not a trigger: the job runs on while the user is in the room.
      session.on('close', (event) => observed.closes.push(event));
      session.on('conversation_item_added', (event) => {
        if (event.item.type === 'message' && event.item.role === 'assistant') observed.assistantItems.push(event.item);
      });
      session.on('error', (event) => observed.errors.push(event.error));
      for (const index of [0, 1]) {
        ctx.addShutdownCallback(async (reason) => {
          observed.callbacks[index]!.push({ reason, history: [...session.history.items] });
        });
      }
      const agent = new CountingAgent('first');
      observed.agents.push(agent);
      await session.start({ agent, room: ctx.room });
    },
    timeouts: { entrypointGrace: 5_000, sessionCloseTimeout: 60_000, shutdownProcessTimeout: 5_000, roomDisconnectTimeout: 1_000 },
  });
  job.ctx.on('error', (event) => observed.errors.push(event.error));
  // The room's own disconnect is a trigger when it is the first; the job leaving it later is not.
  room.on('disconnected', () => observed.triggers.push('room disconnected'));
  void job.result.then((result) => (observed.result = result));
  job.start();
  await settle(3);
  expect(session.state).toBe('running');

  let texts = 0;
  let agents = 0;
  let reasons = 0;
  /** Waits for `promise`, but only as long as microtasks keep it going: fake time does not pass. */
  const awaitBounded = async (promise: Promise<unknown>) => {
    let done = false;
    void promise.finally(() => (done = true));
    for (let i = 0; i < 10 && !done; i++) await vi.advanceTimersByTimeAsync(0);
  };
  const perform = async (op: Op) => {
    switch (op.kind) {
      case 'aclose': {
        const closing = session.aclose();
        if (op.awaited) await awaitBounded(closing);
        return;
      }
      case 'sessionShutdown':
        session.shutdown({ drain: op.drain });
        return;
      case 'ctxShutdown': {
        const reason = `ctx reason ${++reasons}`;
        if (!job.ctx.signal.aborted) observed.triggers.push(reason);
        job.ctx.shutdown(reason);
        return;
      }
      case 'roomClose':
        room.close();
        return;
      case 'requestShutdown': {
        const reason = `worker reason ${++reasons}`;
        if (!job.ctx.signal.aborted) observed.triggers.push(reason);
        job.requestShutdown(reason);
        return;
      }
      case 'userLeaves':
        if (!job.ctx.signal.aborted && room.remoteParticipants.has('user')) observed.triggers.push(ALL_PARTICIPANTS_LEFT);
        user.leave();
        return;
      case 'handoff': {
        const next = new CountingAgent(`agent ${++agents}`);
        try {
          session.updateAgent(next);
          observed.agents.push(next);
        } catch (error) {
          // Refused once the session is closing: the agent never becomes part of it.
          expect(error).toBeInstanceOf(ClosedError);
        }
        return;
      }
      case 'userText': {
        const text = `user text ${++texts}`;
        const turn = session.input.text(text).then(
          () => observed.acceptedUserTexts.push(text),
          (error: unknown) => expect(error).toBeInstanceOf(ClosedError),
        );
        if (op.awaited) await awaitBounded(turn);
        return;
      }
      case 'finishPlayout':
        output.playing[0]?.finish();
        return;
    }
  };

  for (const tick of ticks) {
    for (const op of tick.ops) await perform(op);
    switch (tick.gap.kind) {
      case 'none':
        break;
      case 'microtask':
        await Promise.resolve();
        break;
      case 'flush':
        await settle(3);
        break;
      case 'time':
        await vi.advanceTimersByTimeAsync(tick.gap.ms);
        break;
    }
  }

  // Whatever happened, the worker ends the job; the user hears every speech to its end.
  const reason = `worker reason ${++reasons}`;
  if (!job.ctx.signal.aborted) observed.triggers.push(reason);
  job.requestShutdown(reason);
  for (let i = 0; i < 50 && observed.result === undefined; i++) {
    for (const playing of [...output.playing]) playing.finish();
    await settle(3);
  }
  return observed;
}

function checkProperties(observed: Observed): void {
  // The job ended, successfully, for the first reason that reached it.
  expect(observed.result, 'job.result resolved').toBeDefined();
  const first = observed.triggers[0];
  expect(observed.result).toMatchObject({ status: 'success', reason: first, errors: [] });
  expect(observed.errors).toEqual([]);

  // Exactly one close event.
  expect(observed.closes).toHaveLength(1);

  // onEnter at most once; onExit exactly once per activation (so the agent active at close ran it).
  for (const agent of observed.agents) {
    expect(agent.enters, `${agent.name} entered`).toBeLessThanOrEqual(1);
    expect(agent.exits, `${agent.name} exited as often as it entered`).toBe(agent.enters);
  }
  expect(observed.agents[0]!.enters).toBe(1);

  // Each callback once, with the first reason; the history it read holds everything said.
  for (const calls of observed.callbacks) {
    expect(calls.map((call) => call.reason)).toEqual([first]);
    const history = calls[0]!.history;
    const userTexts = history.flatMap((item) => (item.type === 'message' && item.role === 'user' ? [item.content] : []));
    expect(userTexts).toEqual(expect.arrayContaining(observed.acceptedUserTexts));
    const ids = new Set(history.map((item) => item.id));
    expect(observed.assistantItems.filter((item) => !ids.has(item.id))).toEqual([]);
  }
}

describe('shutdown interleavings', () => {
  it('whatever the interleaving of closes, shutdowns, handoffs and user turns, the shutdown contract holds', async () => {
    await fc.assert(
      fc.asyncProperty(runArb, async (ticks) => {
        checkProperties(await runInterleaving(ticks));
      }),
      {
        numRuns: 150,
        examples: [
          // Found by this property: a user turn during a handoff had no agent to answer it.
          [[{ ops: [{ kind: 'handoff' }, { kind: 'userText', awaited: false }, { kind: 'handoff' }], gap: { kind: 'none' } }]],
          // The session closes, the job runs on; the user leaves later and that ends it.
          [
            [
              { ops: [{ kind: 'aclose', awaited: true }], gap: { kind: 'flush' } },
              { ops: [{ kind: 'userText', awaited: true }], gap: { kind: 'time', ms: 1_000 } },
              { ops: [{ kind: 'userLeaves' }], gap: { kind: 'none' } },
            ],
          ],
          // Every trigger at once, each twice.
          [
            [
              {
                ops: [
                  { kind: 'aclose', awaited: false },
                  { kind: 'userLeaves' },
                  { kind: 'ctxShutdown' },
                  { kind: 'roomClose' },
                  { kind: 'requestShutdown' },
                  { kind: 'sessionShutdown', drain: true },
                  { kind: 'aclose', awaited: true },
                  { kind: 'ctxShutdown' },
                  { kind: 'requestShutdown' },
                ],
                gap: { kind: 'none' },
              },
            ],
          ],
        ],
      },
    );
  });

  it('the same contract holds when everything is called in the one same tick', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 2, maxLength: 10 }), async (ops) => {
        checkProperties(await runInterleaving([{ ops, gap: { kind: 'none' } }]));
      }),
      { numRuns: 100 },
    );
  });
});

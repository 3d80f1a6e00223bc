/**
 * Model-based test of machines/job.ts against the REAL Job (src/job/job.ts) and its JobContext.
 *
 * Each scenario is a path through the statechart written as real-world steps: starting the job, the
 * entrypoint connecting, returning, ignoring the signal or throwing (released through gates the test
 * holds), ctx.shutdown(), the room closing, the worker's request, the primary AgentSession closing,
 * shutdown callbacks and room disconnects that fail or hang, and fake time passing for the
 * machine's delays. After each step the test checks:
 * - the events the job's actor received (from inspection) are exactly the ones the step names;
 * - replaying them through the machine's pure transition function (ModelReplay) gives the real
 *   actor's state value and context, and the machine's emitted events are the ones the job turned
 *   into ctx events (state_changed, shutdown, error) and log lines (the overdue connection);
 * - job.state and the ctx events, with their payloads, are the ones the step states.
 * Each scenario ends with the job's output (job.result). The paths together take every state and
 * transition of the machine: CoverageTracker measures it from the real actors.
 */
import { Writable } from 'node:stream';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { EventObject } from 'xstate';
import { jobMachine, type JobState } from '../../machines/job.js';
import {
  Agent,
  AgentSession,
  DEFAULT_JOB_TIMEOUTS,
  EntrypointError,
  Job,
  JobProcess,
  JobShutdownError,
  LocalRoom,
  ShutdownCallbackError,
  ShutdownPhaseError,
  TimeoutError,
  createLogger,
  jobInfo,
  type JobContext,
  type JobResult,
  type JobTimeouts,
  type VoxstateError,
} from '../../src/index.js';
import { deferred, never, type Deferred } from '../support/deferred.js';
import { CoverageTracker } from '../support/model_coverage.js';
import { ModelReplay } from '../support/model_replay.js';
import { ReceivedEvents, shortEventName } from '../support/received_events.js';
import { ScriptedLLM } from '../support/scripted_llm.js';
import { ScriptedOutput } from '../support/scripted_output.js';

const coverage = new CoverageTracker(jobMachine);
const received = new ReceivedEvents();

beforeEach(() => {
  vi.useFakeTimers();
});
afterEach(() => {
  vi.useRealTimers();
});
afterAll(() => {
  console.log(coverage.report());
  coverage.stop();
  received.stop();
});

async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await vi.advanceTimersByTimeAsync(0);
}

const TIMEOUTS: JobTimeouts = {
  entrypointGrace: 1_000,
  sessionCloseTimeout: 2_000,
  shutdownProcessTimeout: 3_000,
  roomDisconnectTimeout: 500,
  connectWarningDelay: 5_000,
};

/** A LocalRoom whose disconnect() can fail or hang, as a network that does not answer. */
class TestRoom extends LocalRoom {
  disconnect_: 'ok' | 'reject' | 'hang' = 'ok';
  disconnects = 0;
  override async disconnect(): Promise<void> {
    this.disconnects += 1;
    if (this.disconnect_ === 'reject') throw new Error('the server hung up on us');
    if (this.disconnect_ === 'hang') return never();
    await super.disconnect();
  }
}

/** An agent whose onExit never returns. */
class StubbornAgent extends Agent {
  constructor() {
    super({ instructions: 'never leaves' });
  }
  override onExit(): Promise<void> {
    return never();
  }
}

interface World {
  job: Job;
  ctx: JobContext;
  room: TestRoom;
  /** ctx events and overdue warnings as short descriptions, since the step started. */
  emitted: string[];
  errors: VoxstateError[];
  warnings: string[];
  gates: Map<string, Deferred>;
  gate(name: string): Deferred;
  entrypointRuns: number;
  callbackCalls: string[];
  session: AgentSession | undefined;
  result: JobResult | undefined;
  model: ModelReplay<typeof jobMachine>;
}

interface Step {
  do: string;
  act(w: World): unknown;
  /** The events the job's actor must receive, short names (see shortEventName). */
  events: string[];
  /** job.state afterwards. */
  expect: JobState;
  /** ctx events during the step: state:<new>, shutdown:<reason> (<source>), error:<class>; warn:connect overdue. */
  emits: string[];
  check?(w: World): void | Promise<void>;
}

interface Scenario {
  name: string;
  entrypoint: (ctx: JobContext, w: World) => Promise<void>;
  setup?(w: World): void;
  steps: Step[];
  /** The job's output. */
  result: Partial<Omit<JobResult, 'errors'>> & { errors: Array<[new (...args: never[]) => VoxstateError, string?]> };
}

function build(scenario: Scenario): World {
  const room = new TestRoom({ name: 'model' });
  room.join({ identity: 'user' });
  const logStream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n').filter(Boolean)) {
        const record = JSON.parse(line) as { level: number; msg: string };
        if (record.level === 40) {
          w.warnings.push(record.msg);
          if (record.msg.includes('was not connected')) w.emitted.push('warn:connect overdue');
        }
      }
      done();
    },
  });
  const gates = new Map<string, Deferred>();
  const w: World = {
    job: undefined as never,
    ctx: undefined as never,
    room,
    emitted: [],
    errors: [],
    warnings: [],
    gates,
    gate: (name) => {
      if (!gates.has(name)) gates.set(name, deferred());
      return gates.get(name)!;
    },
    entrypointRuns: 0,
    callbackCalls: [],
    session: undefined,
    result: undefined,
    model: new ModelReplay(jobMachine, { jobId: 'job-model', ...DEFAULT_JOB_TIMEOUTS, ...TIMEOUTS }),
  };
  w.job = new Job({
    info: jobInfo({ id: 'job-model', roomName: room.name }),
    room,
    proc: new JobProcess(),
    entrypoint: (ctx) => {
      w.entrypointRuns += 1;
      return scenario.entrypoint(ctx, w);
    },
    timeouts: TIMEOUTS,
    // pino writes through the stream synchronously enough for a settled step; level warn and up.
    logger: createLogger(logStream as never, { level: 'warn' }),
  });
  w.ctx = w.job.ctx;
  w.ctx.on('state_changed', (event) => w.emitted.push(`state:${event.newState}`));
  w.ctx.on('shutdown', (event) => w.emitted.push(`shutdown:${event.reason} (${event.source})`));
  w.ctx.on('error', (event) => {
    w.errors.push(event.error);
    w.emitted.push(`error:${event.error.name}`);
  });
  void w.job.result.then((result) => (w.result = result));
  scenario.setup?.(w);
  return w;
}

function describeModelEvent(event: { type: string } & Record<string, unknown>): string {
  switch (event.type) {
    case 'job_state_changed':
      return `state:${event.newState}`;
    case 'shutdown_started':
      return `shutdown:${event.reason} (${event.source})`;
    case 'problem':
      return 'error';
    case 'connect_overdue':
      return 'warn:connect overdue';
    default:
      return event.type;
  }
}

const stripDetail = (descriptor: string) => (descriptor.startsWith('error:') ? 'error' : descriptor);

async function run(scenario: Scenario): Promise<World> {
  const w = build(scenario);
  received.take(w.job.actor);
  for (const [index, step] of scenario.steps.entries()) {
    const where = `${scenario.name}, step ${index + 1} (${step.do})`;
    w.emitted.length = 0;
    await step.act(w);
    await settle();
    const events = received.take(w.job.actor);
    expect(events.map((event) => shortEventName(event.type)), `${where}: events received`).toEqual(step.events);
    const modelEmitted = w.model.apply(events as EventObject[]);
    const snapshot = w.job.actor.getSnapshot();
    const model = w.model.snapshot;
    expect(snapshot.value, `${where}: state value against the model`).toEqual(model.value);
    expect(snapshot.status, `${where}: status against the model`).toBe(model.status);
    const pick = (c: typeof model.context) => [c.state, c.reason, c.source, c.problems.map((p) => `${p.kind}${'phase' in p ? `:${p.phase}` : ''}`)];
    expect(pick(snapshot.context), `${where}: context against the model`).toEqual(pick(model.context));
    expect(modelEmitted.map(describeModelEvent), `${where}: the model emits`).toEqual(step.emits.map(stripDetail));
    expect(w.job.state, `${where}: job.state`).toBe(step.expect);
    expect(w.emitted, `${where}: ctx events`).toEqual(step.emits);
    await step.check?.(w);
  }
  // The job's output: status, reason, and every problem as a typed error, in order.
  expect(w.result, `${scenario.name}: job.result resolved`).toBeDefined();
  const result = w.result!;
  const { errors: expectedErrors, ...rest } = scenario.result;
  expect(result).toMatchObject({ jobId: 'job-model', ...rest });
  expect(result.errors.map((error) => error.constructor)).toEqual(expectedErrors.map(([type]) => type));
  expectedErrors.forEach(([, message], i) => {
    if (message !== undefined) expect(result.errors[i]!.message).toContain(message);
  });
  expect(result.error).toBe(result.errors[0]);
  expect(result.status).toBe(result.errors.length > 0 ? 'failed' : 'success');
  // Every problem was also reported, as it happened, as a ctx error event.
  const text = (error: VoxstateError) => `${error.name}: ${error.message}`;
  expect(w.errors.map(text)).toEqual(result.errors.map(text));
  return w;
}

// ---- steps and entrypoints used by many scenarios ----

const SHUTDOWN_STATES = [
  'state:shuttingDown.awaitingEntrypoint',
  'state:shuttingDown.closingSession',
  'state:shuttingDown.runningCallbacks',
  'state:shuttingDown.disconnectingRoom',
  'state:done',
];

/** The entrypoint connects and returns. */
const connectAndReturn = async (ctx: JobContext) => {
  await ctx.connect();
};

/** The entrypoint connects and stays until the job shuts down. */
const connectAndStay = async (ctx: JobContext) => {
  await ctx.connect();
  await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
};

const startConnected = (extra: string[] = ['done.entrypoint']): Step => ({
  do: 'start(); the entrypoint connects',
  act: (w) => w.job.start(),
  events: ['start', 'room.connected', ...extra],
  expect: 'running',
  emits: ['state:connecting', 'state:running'],
  check: (w) => expect(w.room.isConnected).toBe(true),
});

const advance = (ms: number, events: string[], state: JobState, emits: string[] = []): Step => ({
  do: `${ms} ms pass`,
  act: () => vi.advanceTimersByTimeAsync(ms),
  events,
  expect: state,
  emits,
});

// ---- the paths ----

const scenarios: Scenario[] = [
  {
    name: 'a shutdown before start: every phase runs, the entrypoint never does',
    entrypoint: connectAndReturn,
    setup: (w) => w.ctx.addShutdownCallback((reason) => void w.callbackCalls.push(reason)),
    steps: [
      {
        do: 'job.requestShutdown("not needed")',
        act: (w) => w.job.requestShutdown('not needed'),
        events: ['shutdown', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks', 'done.disconnectRoom'],
        expect: 'done',
        emits: ['shutdown:not needed (worker)', ...SHUTDOWN_STATES],
        check: (w) => {
          expect(w.ctx.signal.aborted).toBe(true);
          expect(w.callbackCalls).toEqual(['not needed']);
        },
      },
      {
        do: 'start() afterwards',
        act: (w) => w.job.start(),
        events: [],
        expect: 'done',
        emits: [],
        check: (w) => expect(w.entrypointRuns).toBe(0),
      },
    ],
    result: { status: 'success', reason: 'not needed', errors: [] },
  },
  {
    name: 'start: connecting, the connection overdue warning, connected by ctx.connect(), then ctx.shutdown()',
    entrypoint: async (ctx, w) => {
      await w.gate('connect').promise;
      await ctx.connect();
    },
    steps: [
      {
        do: 'start()',
        act: (w) => w.job.start(),
        events: ['start'],
        expect: 'connecting',
        emits: ['state:connecting'],
        check: (w) => expect(w.entrypointRuns).toBe(1),
      },
      advance(4_999, [], 'connecting'),
      {
        ...advance(1, ['after.connectWarningDelay'], 'connecting', ['warn:connect overdue']),
        check: (w) => expect(w.warnings).toEqual([expect.stringContaining('not connected within 5000 ms')]),
      },
      {
        do: 'the entrypoint calls ctx.connect() and returns',
        act: (w) => w.gate('connect').resolve(),
        events: ['room.connected', 'done.entrypoint'],
        expect: 'running',
        emits: ['state:running'],
        check: (w) => expect(w.room.isConnected).toBe(true),
      },
      {
        do: 'ctx.shutdown("all done")',
        act: (w) => w.ctx.shutdown('all done'),
        // Leaving the room disconnects it: the job hears it as one more (ignored) shutdown request.
        events: ['shutdown', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks', 'shutdown', 'done.disconnectRoom'],
        expect: 'done',
        emits: ['shutdown:all done (user)', ...SHUTDOWN_STATES],
        check: (w) => {
          expect(w.ctx.signal.reason).toBeInstanceOf(JobShutdownError);
          expect((w.ctx.signal.reason as JobShutdownError).reason).toBe('all done');
          expect([w.room.isConnected, w.room.disconnects]).toEqual([false, 1]);
        },
      },
    ],
    result: { status: 'success', reason: 'all done', errors: [] },
  },
  {
    name: "an entrypoint that throws while connecting: 'job crashed', failed with an EntrypointError",
    entrypoint: async () => {
      throw new Error('bad configuration');
    },
    steps: [
      {
        do: 'start(); the entrypoint throws',
        act: (w) => w.job.start(),
        events: ['start', 'error.entrypoint', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks', 'done.disconnectRoom'],
        expect: 'done',
        emits: ['state:connecting', 'error:EntrypointError', 'shutdown:job crashed (crash)', ...SHUTDOWN_STATES],
        check: (w) => expect((w.errors[0]!.cause as Error).message).toBe('bad configuration'),
      },
    ],
    result: { status: 'failed', reason: 'job crashed', errors: [[EntrypointError, 'bad configuration']] },
  },
  {
    name: "an entrypoint that throws once running: 'job crashed'",
    entrypoint: async (ctx, w) => {
      await ctx.connect();
      await w.gate('crash').promise;
      throw new Error('lost the plot');
    },
    steps: [
      startConnected([]),
      {
        do: 'the entrypoint throws',
        act: (w) => w.gate('crash').resolve(),
        events: ['error.entrypoint', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks', 'shutdown', 'done.disconnectRoom'],
        expect: 'done',
        emits: ['error:EntrypointError', 'shutdown:job crashed (crash)', ...SHUTDOWN_STATES],
      },
    ],
    result: { status: 'failed', reason: 'job crashed', errors: [[EntrypointError, 'lost the plot']] },
  },
  {
    name: 'the room disconnecting shuts the job down',
    entrypoint: connectAndReturn,
    steps: [
      startConnected(),
      {
        do: 'the server closes the room',
        act: (w) => w.room.close('room deleted'),
        events: ['shutdown', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks', 'done.disconnectRoom'],
        expect: 'done',
        emits: ['shutdown:room disconnected (room)', ...SHUTDOWN_STATES],
      },
    ],
    result: { status: 'success', reason: 'room disconnected', errors: [] },
  },
  {
    name: "the worker's request while connecting; the entrypoint returns when the signal fires",
    entrypoint: async (ctx) => {
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
    },
    steps: [
      {
        do: 'start()',
        act: (w) => w.job.start(),
        events: ['start'],
        expect: 'connecting',
        emits: ['state:connecting'],
      },
      {
        do: 'job.requestShutdown("worker draining")',
        act: (w) => w.job.requestShutdown('worker draining'),
        events: ['shutdown', 'done.entrypoint', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks', 'done.disconnectRoom'],
        expect: 'done',
        emits: ['shutdown:worker draining (worker)', ...SHUTDOWN_STATES],
        check: (w) => expect(w.room.isConnected).toBe(false),
      },
    ],
    result: { status: 'success', reason: 'worker draining', errors: [] },
  },
  {
    name: 'the primary session closing shuts the job down',
    entrypoint: async (ctx, w) => {
      w.session = new AgentSession({ llm: new ScriptedLLM() });
      w.session.output = new ScriptedOutput();
      await w.session.start({ agent: new Agent({ instructions: 'primary' }), room: ctx.room });
    },
    steps: [
      startConnected(),
      {
        do: 'session.aclose()',
        act: (w) => w.session!.aclose(),
        events: ['shutdown', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks', 'shutdown', 'done.disconnectRoom'],
        expect: 'done',
        emits: ['shutdown:session closed (user_initiated) (session)', ...SHUTDOWN_STATES],
        check: (w) => expect(w.ctx.primarySession).toBe(w.session),
      },
    ],
    result: { status: 'success', reason: 'session closed (user_initiated)', errors: [] },
  },
  {
    name: 'the first reason wins: later triggers in the same tick are ignored',
    entrypoint: connectAndReturn,
    setup: (w) => w.ctx.addShutdownCallback((reason) => void w.callbackCalls.push(reason)),
    steps: [
      startConnected(),
      {
        do: 'ctx.shutdown("first"), job.requestShutdown("second"), room.close(), ctx.shutdown("third")',
        act: (w) => {
          w.ctx.shutdown('first');
          w.job.requestShutdown('second');
          w.room.close();
          w.ctx.shutdown('third');
        },
        events: ['shutdown', 'shutdown', 'shutdown', 'shutdown', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks', 'done.disconnectRoom'],
        expect: 'done',
        emits: ['shutdown:first (user)', ...SHUTDOWN_STATES],
        check: (w) => expect(w.callbackCalls).toEqual(['first']),
      },
    ],
    result: { status: 'success', reason: 'first', errors: [] },
  },
  {
    name: 'an entrypoint that ignores the signal is given up after entrypointGrace',
    entrypoint: async (ctx) => {
      await ctx.connect();
      await never();
    },
    steps: [
      startConnected([]),
      {
        do: 'ctx.shutdown("bye")',
        act: (w) => w.ctx.shutdown('bye'),
        events: ['shutdown'],
        expect: 'shuttingDown.awaitingEntrypoint',
        emits: ['shutdown:bye (user)', 'state:shuttingDown.awaitingEntrypoint'],
      },
      advance(999, [], 'shuttingDown.awaitingEntrypoint'),
      advance(1, ['after.entrypointGrace', 'done.closeSession', 'done.runShutdownCallbacks', 'shutdown', 'done.disconnectRoom'], 'done', [
        'error:TimeoutError',
        ...SHUTDOWN_STATES.slice(1),
      ]),
    ],
    result: { status: 'failed', reason: 'bye', errors: [[TimeoutError, "the job's entrypoint (grace period) did not finish within 1000 ms"]] },
  },
  {
    name: 'a session whose close hangs (an onExit that never returns) is given up after sessionCloseTimeout',
    entrypoint: async (ctx, w) => {
      w.session = new AgentSession({ llm: new ScriptedLLM(), agentHookTimeout: 1e9 });
      w.session.output = new ScriptedOutput();
      await w.session.start({ agent: new StubbornAgent(), room: ctx.room });
    },
    steps: [
      startConnected(),
      {
        do: 'ctx.shutdown("bye")',
        act: (w) => w.ctx.shutdown('bye'),
        events: ['shutdown', 'done.joinEntrypoints'],
        expect: 'shuttingDown.closingSession',
        emits: ['shutdown:bye (user)', 'state:shuttingDown.awaitingEntrypoint', 'state:shuttingDown.closingSession'],
        check: (w) => expect(w.session!.state).toBe('draining'),
      },
      advance(1_999, [], 'shuttingDown.closingSession'),
      advance(1, ['after.sessionCloseTimeout', 'done.runShutdownCallbacks', 'shutdown', 'done.disconnectRoom'], 'done', [
        'error:TimeoutError',
        ...SHUTDOWN_STATES.slice(2),
      ]),
    ],
    result: { status: 'failed', reason: 'bye', errors: [[TimeoutError, "the job's session close did not finish within 2000 ms"]] },
  },
  {
    name: 'shutdown callbacks: one throws (recorded at once), one hangs past shutdownProcessTimeout',
    entrypoint: connectAndStay,
    setup: (w) => {
      w.ctx.addShutdownCallback(async function failing(reason) {
        w.callbackCalls.push(`failing ${reason}`);
        throw new Error('could not save the transcript');
      });
      w.ctx.addShutdownCallback(function hanging(reason) {
        w.callbackCalls.push(`hanging ${reason}`);
        return never();
      });
    },
    steps: [
      startConnected([]),
      {
        do: 'ctx.shutdown("bye")',
        act: (w) => w.ctx.shutdown('bye'),
        events: ['shutdown', 'done.entrypoint', 'done.joinEntrypoints', 'done.closeSession', 'callback.failed'],
        expect: 'shuttingDown.runningCallbacks',
        emits: [
          'shutdown:bye (user)',
          'state:shuttingDown.awaitingEntrypoint',
          'state:shuttingDown.closingSession',
          'state:shuttingDown.runningCallbacks',
          'error:ShutdownCallbackError',
        ],
        check: (w) => expect(w.callbackCalls).toEqual(['failing bye', 'hanging bye']),
      },
      advance(2_999, [], 'shuttingDown.runningCallbacks'),
      advance(1, ['after.shutdownProcessTimeout', 'shutdown', 'done.disconnectRoom'], 'done', ['error:TimeoutError', ...SHUTDOWN_STATES.slice(3)]),
    ],
    result: {
      status: 'failed',
      reason: 'bye',
      errors: [
        [ShutdownCallbackError, 'shutdown callback #1 (failing) failed: could not save the transcript'],
        [TimeoutError, "the job's shutdown callbacks did not finish within 3000 ms; still running: shutdown callback #2 (hanging)"],
      ],
    },
  },
  {
    name: 'leaving the room fails',
    entrypoint: connectAndReturn,
    setup: (w) => (w.room.disconnect_ = 'reject'),
    steps: [
      startConnected(),
      {
        do: 'job.requestShutdown("bye")',
        act: (w) => w.job.requestShutdown('bye'),
        events: ['shutdown', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks', 'error.disconnectRoom'],
        expect: 'done',
        emits: ['shutdown:bye (worker)', ...SHUTDOWN_STATES.slice(0, 4), 'error:ShutdownPhaseError', 'state:done'],
      },
    ],
    result: { status: 'failed', reason: 'bye', errors: [[ShutdownPhaseError, 'shutdown phase "room" failed: the server hung up on us']] },
  },
  {
    name: 'leaving the room hangs past roomDisconnectTimeout',
    entrypoint: connectAndReturn,
    setup: (w) => (w.room.disconnect_ = 'hang'),
    steps: [
      startConnected(),
      {
        do: 'job.requestShutdown("bye")',
        act: (w) => w.job.requestShutdown('bye'),
        events: ['shutdown', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks'],
        expect: 'shuttingDown.disconnectingRoom',
        emits: ['shutdown:bye (worker)', ...SHUTDOWN_STATES.slice(0, 4)],
      },
      advance(499, [], 'shuttingDown.disconnectingRoom'),
      advance(1, ['after.roomDisconnectTimeout'], 'done', ['error:TimeoutError', 'state:done']),
    ],
    result: { status: 'failed', reason: 'bye', errors: [[TimeoutError, "the job's room disconnect did not finish within 500 ms"]] },
  },
  {
    name: 'an entrypoint that crashes while the job shuts down is reported; the reason stays',
    entrypoint: async (ctx) => {
      await ctx.connect();
      await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
      throw new Error('cleanup failed');
    },
    steps: [
      startConnected([]),
      {
        do: 'ctx.shutdown("bye")',
        act: (w) => w.ctx.shutdown('bye'),
        events: ['shutdown', 'error.entrypoint', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks', 'shutdown', 'done.disconnectRoom'],
        expect: 'done',
        emits: ['shutdown:bye (user)', 'state:shuttingDown.awaitingEntrypoint', 'error:EntrypointError', ...SHUTDOWN_STATES.slice(1)],
      },
    ],
    result: { status: 'failed', reason: 'bye', errors: [[EntrypointError, 'cleanup failed']] },
  },
];

describe('job machine, through the real Job', () => {
  for (const scenario of scenarios) {
    it(scenario.name, async () => {
      await run(scenario);
    });
  }

  it('together the paths take every state and transition of the job machine', () => {
    const { states, transitions } = coverage.coverage();
    expect(states.missing).toEqual([]);
    expect(transitions.missing).toEqual([]);
    expect(states.covered).toBe(states.total);
    expect(transitions.covered).toBe(transitions.total);
  });
});

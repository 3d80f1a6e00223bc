/**
 * Model-based test of machines/job.ts against the REAL Job (src/job/job.ts) and its JobContext.
 *
 * Each scenario is a path through the statechart written as real-world steps: starting the job, the
 * entrypoint connecting, returning, ignoring the signal or throwing (released through gates the test
 * holds), participants of every kind joining and leaving the room, ctx.shutdown(), the room
 * closing, the worker's request, the primary AgentSession closing (which does not end the job),
 * shutdown callbacks and room disconnects that fail or hang, and fake time passing for the
 * machine's delays. After each step the test checks:
 * - the events the job's actor received (from inspection) are exactly the ones the step names;
 * - replaying them through the machine's pure transition function (ModelReplay) gives the real
 *   actor's state value and context, and the machine's emitted events are the ones the job turned
 *   into ctx events (state_changed, shutdown, error) and log lines (the overdue connection);
 * - job.state and the ctx events, with their payloads, are the ones the step states.
 * Each scenario ends with the job's output (job.result). The paths together take every state and
 * transition of the machine: CoverageTracker measures it from the real actors.
 *
 * The second part, "generated paths (xstate/graph)", does not write the paths by hand: it takes the
 * shortest path to every (state, incoming transition) of the statechart from xstate/graph, builds a
 * real Job for each from the path's own events, performs each event as a real action and checks the
 * job after each step: its actor against the statechart, what it tells the world against
 * JobContract (the README's contract, written out independently of the machine); the generated
 * paths alone take every state and transition too (a tracker of their own). Paths the real Job
 * cannot perform are skipped, each with the reason, and listed.
 */
import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { __unsafe_getAllOwnEventDescriptors, type EventObject, type InspectionEvent, type SnapshotFrom } from 'xstate';
import { TestModel } from 'xstate/graph';
import { ALL_PARTICIPANTS_LEFT, jobMachine, type JobMachineContext, type JobState, type ShutdownSource } from '../../machines/job.js';
import {
  Agent,
  AgentSession,
  DEFAULT_JOB_TIMEOUTS,
  EntrypointError,
  Job,
  JobProcess,
  JobShutdownError,
  LocalRoom,
  type LocalRoomMember,
  type ParticipantKind,
  ShutdownCallbackError,
  ShutdownPhaseError,
  TimeoutError,
  createLogger,
  jobInfo,
  type JobContext,
  type JobResult,
  type JobTimeouts,
  VoxstateError,
} from '../../src/index.js';
import { addInspector } from '../../src/inspect/registry.js';
import { deferred, never, type Deferred } from '../support/deferred.js';
import { CoverageTracker } from '../support/model_coverage.js';
import { ModelReplay } from '../support/model_replay.js';
import { ReceivedEvents, shortEventName } from '../support/received_events.js';
import { ScriptedLLM } from '../support/scripted_llm.js';
import { ScriptedOutput } from '../support/scripted_output.js';
import { settle, useFakeTime } from '../support/fake_time.js';

const coverage = new CoverageTracker(jobMachine);
const received = new ReceivedEvents();

useFakeTime();
afterAll(() => {
  console.log(coverage.report());
  coverage.stop();
  received.stop();
});

const TIMEOUTS: JobTimeouts = {
  entrypointGrace: 1_000,
  sessionCloseTimeout: 2_000,
  shutdownProcessTimeout: 3_000,
  roomDisconnectTimeout: 500,
  connectWarningDelay: 5_000,
};

/** A LocalRoom whose disconnect() can fail or hang, as a network that does not answer. */
class TestRoom extends LocalRoom {
  /** 'held': disconnect() waits for `held`, which the test resolves, rejects or leaves pending. */
  disconnect_: 'ok' | 'reject' | 'hang' | 'held' = 'ok';
  readonly held = deferred();
  disconnects = 0;
  override async disconnect(): Promise<void> {
    this.disconnects += 1;
    if (this.disconnect_ === 'reject') throw new Error('the server hung up on us');
    if (this.disconnect_ === 'hang') return never();
    if (this.disconnect_ === 'held') await this.held.promise;
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
  /** Who is in the room besides the agent, by identity. */
  members: Map<string, LocalRoomMember>;
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
  /** Who is in the room before the job starts (default: a standard participant, "user"). */
  present?: Array<{ identity: string; kind: ParticipantKind }>;
  setup?(w: World): void;
  steps: Step[];
  /** The job's output. */
  result: Partial<Omit<JobResult, 'errors'>> & { errors: Array<[new (...args: never[]) => VoxstateError, string?]> };
}

function build(scenario: Pick<Scenario, 'entrypoint' | 'setup' | 'present'>): World {
  const room = new TestRoom({ name: 'model' });
  const members = new Map<string, LocalRoomMember>();
  for (const info of scenario.present ?? [{ identity: 'user', kind: 'standard' }]) members.set(info.identity, room.join(info));
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
    members,
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
    const pick = (c: typeof model.context) => [c.reason, c.source, c.problems.map((p) => `${p.kind}${'phase' in p ? `:${p.phase}` : ''}`)];
    expect(pick(snapshot.context), `${where}: context against the model`).toEqual(pick(model.context));
    // State changes are not emitted: the job tells them from its snapshots (checked against the model's above).
    expect(modelEmitted.map(describeModelEvent), `${where}: the model emits`).toEqual(step.emits.filter((e) => !e.startsWith('state:')).map(stripDetail));
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

const INPUT_ERROR = new VoxstateError('audio_input_failed', 'the microphone is gone');
const LATE_ERROR = new VoxstateError('audio_output_failed', 'the speaker is gone too');

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

/** The entrypoint waits for the job's signal, then returns (it never connects). */
const awaitSignal = async (ctx: JobContext) => {
  await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve, { once: true }));
};

/** The entrypoint connects and stays until the job shuts down. */
const connectAndStay = async (ctx: JobContext) => {
  await ctx.connect();
  await awaitSignal(ctx);
};

/** start() on a job that is already done: nothing happens, the entrypoint never runs. */
const startAfterwards: Step = {
  do: 'start() afterwards',
  act: (w) => w.job.start(),
  events: [],
  expect: 'done',
  emits: [],
  check: (w) => expect(w.entrypointRuns).toBe(0),
};

const startConnecting: Step = {
  do: 'start()',
  act: (w) => w.job.start(),
  events: ['start'],
  expect: 'connecting',
  emits: ['state:connecting'],
};

/** The job starts and its entrypoint connects; the user in the room is counted from then on. */
const startConnected = (extra: string[] = ['done.entrypoint']): Step => ({
  do: 'start(); the entrypoint connects',
  act: (w) => w.job.start(),
  events: ['start', 'room.connected', 'participants.present', ...extra],
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
      startAfterwards,
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
        events: ['room.connected', 'participants.present', 'done.entrypoint'],
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
    name: 'job.fail() before start: the job shuts down for its reason and ends failed with its error; start() afterwards runs nothing',
    entrypoint: connectAndReturn,
    setup: (w) => w.ctx.addShutdownCallback((reason) => void w.callbackCalls.push(reason)),
    steps: [
      {
        do: 'job.fail(error, "--input failed")',
        act: (w) => w.job.fail(INPUT_ERROR, '--input failed'),
        events: ['fail', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks', 'done.disconnectRoom'],
        expect: 'done',
        emits: ['error:VoxstateError', 'shutdown:--input failed (failure)', ...SHUTDOWN_STATES],
        check: (w) => {
          expect(w.errors).toEqual([INPUT_ERROR]);
          expect(w.callbackCalls).toEqual(['--input failed']);
        },
      },
      startAfterwards,
    ],
    result: { status: 'failed', reason: '--input failed', errors: [[VoxstateError, 'the microphone is gone']] },
  },
  {
    name: 'job.fail() while connecting: the reason defaults to the error message',
    entrypoint: awaitSignal,
    steps: [
      startConnecting,
      {
        do: 'job.fail(error)',
        act: (w) => w.job.fail(INPUT_ERROR),
        events: ['fail', 'done.entrypoint', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks', 'done.disconnectRoom'],
        expect: 'done',
        emits: ['error:VoxstateError', 'shutdown:the microphone is gone (failure)', ...SHUTDOWN_STATES],
        check: (w) => expect(w.ctx.signal.reason).toMatchObject({ reason: 'the microphone is gone' }),
      },
    ],
    result: { status: 'failed', reason: 'the microphone is gone', errors: [[VoxstateError, 'the microphone is gone']] },
  },
  {
    name: 'job.fail() while running, and again while shutting down: the first reason stays, both errors are kept',
    entrypoint: connectAndStay,
    setup: (w) => w.ctx.addShutdownCallback(() => w.gate('callbacks').promise),
    steps: [
      startConnected([]),
      {
        do: 'job.fail(error, "--input failed")',
        act: (w) => w.job.fail(INPUT_ERROR, '--input failed'),
        events: ['fail', 'done.entrypoint', 'done.joinEntrypoints', 'done.closeSession'],
        expect: 'shuttingDown.runningCallbacks',
        emits: [
          'error:VoxstateError',
          'shutdown:--input failed (failure)',
          'state:shuttingDown.awaitingEntrypoint',
          'state:shuttingDown.closingSession',
          'state:shuttingDown.runningCallbacks',
        ],
      },
      {
        do: 'job.fail(another error, "later")',
        act: (w) => w.job.fail(LATE_ERROR, 'later'),
        events: ['fail'],
        expect: 'shuttingDown.runningCallbacks',
        emits: ['error:VoxstateError'],
      },
      {
        do: 'the shutdown callback returns',
        act: (w) => w.gate('callbacks').resolve(),
        events: ['done.runShutdownCallbacks', 'shutdown', 'done.disconnectRoom'],
        expect: 'done',
        emits: SHUTDOWN_STATES.slice(3),
      },
    ],
    result: {
      status: 'failed',
      reason: '--input failed',
      errors: [
        [VoxstateError, 'the microphone is gone'],
        [VoxstateError, 'the speaker is gone too'],
      ],
    },
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
    entrypoint: awaitSignal,
    steps: [
      startConnecting,
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
    name: 'the primary session closing does not end the job; the last participant leaving does',
    entrypoint: async (ctx, w) => {
      w.session = new AgentSession({ llm: new ScriptedLLM() });
      w.session.output = new ScriptedOutput();
      await w.session.start({ agent: new Agent({ instructions: 'primary' }), room: ctx.room });
    },
    steps: [
      { ...startConnected(), check: (w) => expect(w.job.actor.getSnapshot().value).toEqual({ started: { running: 'attended' } }) },
      {
        do: 'session.aclose()',
        act: (w) => w.session!.aclose(),
        events: [],
        expect: 'running',
        emits: [],
        check: (w) => {
          expect(w.session!.state).toBe('closed');
          expect(w.ctx.primarySession).toBe(w.session);
          expect(w.ctx.signal.aborted).toBe(false);
        },
      },
      {
        do: 'the user leaves the room',
        act: (w) => w.members.get('user')!.leave(),
        events: ['participants.gone', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks', 'shutdown', 'done.disconnectRoom'],
        expect: 'done',
        emits: [`shutdown:${ALL_PARTICIPANTS_LEFT} (participants)`, ...SHUTDOWN_STATES],
      },
    ],
    result: { status: 'success', reason: ALL_PARTICIPANTS_LEFT, errors: [] },
  },
  {
    name: 'a room nobody has joined waits for a participant; agents and egress do not count; it ends when the last standard or SIP participant leaves',
    entrypoint: connectAndReturn,
    present: [{ identity: 'recorder', kind: 'egress' }],
    setup: (w) => w.ctx.addShutdownCallback((reason) => void w.callbackCalls.push(reason)),
    steps: [
      {
        do: 'start(); the entrypoint connects to a room with only a recorder in it',
        act: (w) => w.job.start(),
        events: ['start', 'room.connected', 'done.entrypoint'],
        expect: 'running',
        emits: ['state:connecting', 'state:running'],
        check: (w) => expect(w.job.actor.getSnapshot().value).toEqual({ started: { running: 'awaitingParticipant' } }),
      },
      {
        do: 'another agent joins, then leaves',
        act: (w) => w.room.join({ identity: 'helper-agent', kind: 'agent' }).leave(),
        events: [],
        expect: 'running',
        emits: [],
      },
      {
        do: 'a SIP caller joins',
        act: (w) => w.members.set('caller', w.room.join({ identity: 'caller', kind: 'sip' })),
        events: ['participants.present'],
        expect: 'running',
        emits: [],
        check: (w) => expect(w.job.actor.getSnapshot().value).toEqual({ started: { running: 'attended' } }),
      },
      {
        do: 'a standard participant joins',
        act: (w) => w.members.set('user', w.room.join({ identity: 'user', kind: 'standard' })),
        events: ['participants.present'],
        expect: 'running',
        emits: [],
      },
      {
        do: 'the SIP caller and the recorder leave: the user is still there',
        act: (w) => {
          w.members.get('caller')!.leave();
          w.members.get('recorder')!.leave();
        },
        events: [],
        expect: 'running',
        emits: [],
      },
      {
        do: 'the user leaves',
        act: (w) => w.members.get('user')!.leave(),
        events: ['participants.gone', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks', 'shutdown', 'done.disconnectRoom'],
        expect: 'done',
        emits: [`shutdown:${ALL_PARTICIPANTS_LEFT} (participants)`, ...SHUTDOWN_STATES],
        check: (w) => expect(w.callbackCalls).toEqual([ALL_PARTICIPANTS_LEFT]),
      },
    ],
    result: { status: 'success', reason: ALL_PARTICIPANTS_LEFT, errors: [] },
  },
  {
    name: 'who leaves before the connection does not count: the job waits for someone once connected',
    entrypoint: async (ctx, w) => {
      await w.gate('connect').promise;
      await ctx.connect();
    },
    steps: [
      startConnecting,
      {
        do: 'the user leaves before the agent has connected',
        act: (w) => w.members.get('user')!.leave(),
        events: [],
        expect: 'connecting',
        emits: [],
      },
      {
        do: 'the entrypoint connects to the empty room',
        act: (w) => w.gate('connect').resolve(),
        events: ['room.connected', 'done.entrypoint'],
        expect: 'running',
        emits: ['state:running'],
        check: (w) => expect(w.job.actor.getSnapshot().value).toEqual({ started: { running: 'awaitingParticipant' } }),
      },
      {
        do: 'ctx.shutdown("nobody came")',
        act: (w) => w.ctx.shutdown('nobody came'),
        events: ['shutdown', 'done.joinEntrypoints', 'done.closeSession', 'done.runShutdownCallbacks', 'shutdown', 'done.disconnectRoom'],
        expect: 'done',
        emits: ['shutdown:nobody came (user)', ...SHUTDOWN_STATES],
      },
    ],
    result: { status: 'success', reason: 'nobody came', errors: [] },
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

// ---- generated paths (xstate/graph) ----
//
// The paths below are not written by hand: xstate/graph walks machines/job.ts. The events of a
// state are its own event descriptors (the synthetic xstate.after.*, xstate.done.actor.* and
// xstate.error.actor.* included), `shutdown` is sampled once per source and `callback.failed`
// once. A state is keyed by its value, whether problems were recorded and whether the entrypoint
// actor is alive (the machine spawns it on start and stops it when the grace period runs out),
// plus the transition it came in by (event, and the state it left), so the shortest paths reach
// every (state, incoming transition): every transition at least once.
//
// Each path runs on a fresh real Job whose world is built from the path: the room is empty; the
// entrypoint starts a primary AgentSession whose agent's onExit waits for the test, then waits (for
// the test to let it connect, for the signal, for the test to let it return or throw); two shutdown
// callbacks wait for the test (one of them fails when told); leaving the room waits for the test.
// Each step is a real action: start(), ctx.connect(), a caller joining the room or leaving it,
// ctx.shutdown() / room.close() / job.requestShutdown(), releasing or rejecting what waits, or
// fake time advancing by exactly the delay.
// After each step the job's snapshot right after that event (from inspection) must be the path's.
// Once the job rests, what it told the world — job.state, ctx.state, ctx.signal, the ctx shutdown
// event, its typed errors, the shutdown callbacks' calls, the overdue warning — and at the end
// job.result must be what JobContract says: the README's shutdown contract written out in the test,
// independently of the machine, so that a bug in the machine that the job follows faithfully (a
// timeout it forgets to record, a reason it lets a later trigger change) still fails.
//
// A step the job takes on its own needs no action only where the real world has nothing to wait
// for: joinEntrypoints with no user code running (the job never started, or the entrypoint threw)
// and closeSession with no open primary session; any other step that happens by itself fails.

type JobSnapshot = SnapshotFrom<typeof jobMachine>;
type GeneratedPath = ReturnType<TestModel<JobSnapshot, EventObject, unknown>['getShortestPaths']>[number];
type PathStep = GeneratedPath['steps'][number];
type ShutdownSample = { type: 'shutdown'; reason: string; source: ShutdownSource };

/** `shutdown`, once per source, with the reason the real trigger gives. */
const SHUTDOWN_SAMPLES: ShutdownSample[] = [
  { type: 'shutdown', reason: 'user asked', source: 'user' }, // ctx.shutdown('user asked')
  { type: 'shutdown', reason: 'room disconnected', source: 'room' }, // the server closes the room
  { type: 'shutdown', reason: 'worker draining', source: 'worker' }, // job.requestShutdown('worker draining')
];
const CALLBACK_ERROR = new Error('could not save the transcript');
const PHASE_NAMES = {
  entrypoint: 'entrypoint (grace period)',
  session: 'session close',
  callbacks: 'shutdown callbacks',
  room: 'room disconnect',
} as const;

function labelOf(event: EventObject): string {
  return event.type === 'shutdown' ? `shutdown(${(event as ShutdownSample).source})` : shortEventName(event.type);
}

const entrypointAlive = (snapshot: JobSnapshot) => (snapshot.children as Record<string, unknown>).entrypoint !== undefined;
const placeOf = (snapshot: JobSnapshot) => `${JSON.stringify(snapshot.value)}${entrypointAlive(snapshot) ? ' +entrypoint' : ''}`;

function generatePaths(): GeneratedPath[] {
  const model = new TestModel<JobSnapshot, EventObject, unknown>(jobMachine as never, {
    input: { jobId: 'job-model', ...DEFAULT_JOB_TIMEOUTS, ...TIMEOUTS },
    events: (snapshot: JobSnapshot) =>
      __unsafe_getAllOwnEventDescriptors(snapshot).flatMap((type): EventObject[] => {
        if (type === 'shutdown') return SHUTDOWN_SAMPLES;
        if (type === 'callback.failed') return [{ type, error: CALLBACK_ERROR } as EventObject];
        if (type === 'fail') return [{ type, reason: 'input failed', error: INPUT_ERROR } as EventObject];
        return [{ type }];
      }),
    serializeState: (snapshot: JobSnapshot, event: EventObject | undefined, previous: JobSnapshot | undefined) =>
      `${placeOf(snapshot)}${snapshot.context.problems.length > 0 ? ' failed' : ''}` +
      ` via ${event ? labelOf(event) : '-'} from ${previous ? placeOf(previous) : '-'}`,
    stateMatcher: (_snapshot: JobSnapshot, key: string) => key === '*',
  });
  return model.getShortestPaths();
}

/**
 * Why the real Job cannot perform `path`, or undefined when it can. The statechart allows more
 * than the job does in two ways:
 * - before start() no user code has run: no entrypoint to throw or to outlast the grace period, no
 *   session to close or whose close could hang, and nothing has connected the room, so it cannot
 *   disconnect;
 * - joinEntrypoints waits for the entrypoint, so once it has finished (or the entrypoint actor was
 *   cancelled after the grace period) the entrypoint cannot throw any more; a throw while the job
 *   waits for it reaches the job before joinEntrypoints finishes.
 */
function whyNotPerformable(path: GeneratedPath): string | undefined {
  let started = false;
  let crashed = false;
  for (const [i, step] of path.steps.entries()) {
    if (i === 0) continue;
    const before = path.steps[i - 1]!.state;
    const type = step.event.type;
    // Where the job has nothing to wait for, it does not rest: only the phase's own end can come next.
    if (before.matches({ shuttingDown: 'awaitingEntrypoint' }) && type !== 'xstate.done.actor.joinEntrypoints') {
      if (!started) return `${labelOf(step.event)} while awaiting the entrypoint before start(): no user code runs, so joinEntrypoints finishes at once`;
      if (crashed) return `${labelOf(step.event)} while awaiting the entrypoint after it threw: no user code is left, so joinEntrypoints finishes at once`;
    }
    if (before.matches({ shuttingDown: 'closingSession' }) && type !== 'xstate.done.actor.closeSession' && !started) {
      return `${labelOf(step.event)} while closing the session before start(): no session was started, so closeSession finishes at once`;
    }
    if (type === 'start') started = true;
    if (type === 'shutdown' && !started && (step.event as ShutdownSample).source === 'room') {
      return 'shutdown(room) before start(): nothing has connected the room yet, and a room only reports `disconnected` once connected';
    }
    if (type === 'xstate.error.actor.entrypoint') {
      if (!started) return 'the entrypoint throwing before start(): the job never ran it';
      if (crashed) return 'the entrypoint throwing twice: it can only throw once';
      if (!before.matches('started') && !before.matches({ shuttingDown: 'awaitingEntrypoint' }))
        return `the entrypoint throwing in ${JSON.stringify(before.value)}: joinEntrypoints has finished, so the entrypoint has already returned or thrown (or was cancelled)`;
      crashed = true;
    }
  }
  return undefined;
}

type ExpectedError = [new (...args: never[]) => VoxstateError, string];

/**
 * The shutdown contract of the README for the events of a generated path, written out here
 * independently of the machine: a job starts, connects, runs; the first trigger (a shutdown request
 * of any source, the last standard or SIP participant leaving once one was there, the entrypoint
 * throwing, a failure) decides the reason, later ones are ignored (a crash or a failure is still
 * recorded); the phases follow in order, each ended by its own completion or its timeout; the job's
 * errors are every crash, failure, failed callback, failed room disconnect and timeout, in order,
 * and it ends failed when there is one.
 */
class JobContract {
  phase: JobState = 'pending';
  reason: string | undefined;
  source: ShutdownSource | undefined;
  readonly errors: ExpectedError[] = [];
  /** The connection was not made within connectWarningDelay: a warning was logged. */
  overdue = false;
  /** A standard or SIP participant has been in the room since the connection. */
  attended = false;

  /** The shutdown has begun (or is over). */
  get shutdownBegun(): boolean {
    return this.phase !== 'pending' && this.phase !== 'connecting' && this.phase !== 'running';
  }

  /** The shutdown callbacks have been called (they all start when their phase begins). */
  get callbacksRan(): boolean {
    return ['shuttingDown.runningCallbacks', 'shuttingDown.disconnectingRoom', 'done'].includes(this.phase);
  }

  apply(event: EventObject): void {
    const type = event.type;
    const phase = this.phase;
    const trigger = (reason: string, source: ShutdownSource, error?: ExpectedError) => {
      if (error) this.errors.push(error);
      if (this.shutdownBegun) return;
      [this.reason, this.source, this.phase] = [reason, source, 'shuttingDown.awaitingEntrypoint'];
    };
    const next = (from: JobState, to: JobState, error?: ExpectedError) => {
      if (phase !== from) throw new Error(`the contract has no ${type} in ${phase}`);
      this.phase = to;
      if (error) this.errors.push(error);
    };
    const timeout = (name: keyof typeof PHASE_NAMES, ms: number): ExpectedError => [TimeoutError, `the job's ${PHASE_NAMES[name]} did not finish within ${ms} ms`];
    switch (type) {
      case 'start':
        return next('pending', 'connecting');
      case 'room.connected':
        return next('connecting', 'running');
      case 'participants.present':
        next('running', 'running');
        this.attended = true;
        return;
      case 'participants.gone':
        if (!this.attended) throw new Error('the contract has nobody to leave');
        return trigger(ALL_PARTICIPANTS_LEFT, 'participants');
      case 'shutdown': {
        const { reason, source } = event as ShutdownSample;
        return trigger(reason, source);
      }
      case 'fail':
        return trigger((event as unknown as { reason: string }).reason, 'failure', [VoxstateError, INPUT_ERROR.message]);
      case 'xstate.error.actor.entrypoint':
        return trigger('job crashed', 'crash', [EntrypointError, 'lost the plot']);
      case 'xstate.after.connectWarningDelay.job.started.connecting':
        next('connecting', 'connecting');
        this.overdue = true;
        return;
      case 'xstate.done.actor.joinEntrypoints':
        return next('shuttingDown.awaitingEntrypoint', 'shuttingDown.closingSession');
      case 'xstate.after.entrypointGrace.job.shuttingDown.awaitingEntrypoint':
        return next('shuttingDown.awaitingEntrypoint', 'shuttingDown.closingSession', timeout('entrypoint', TIMEOUTS.entrypointGrace));
      case 'xstate.done.actor.closeSession':
        return next('shuttingDown.closingSession', 'shuttingDown.runningCallbacks');
      case 'xstate.after.sessionCloseTimeout.job.shuttingDown.closingSession':
        return next('shuttingDown.closingSession', 'shuttingDown.runningCallbacks', timeout('session', TIMEOUTS.sessionCloseTimeout));
      case 'callback.failed':
        return next('shuttingDown.runningCallbacks', 'shuttingDown.runningCallbacks', [ShutdownCallbackError, `shutdown callback #2 (failing) failed: ${CALLBACK_ERROR.message}`]);
      case 'xstate.done.actor.runShutdownCallbacks':
        return next('shuttingDown.runningCallbacks', 'shuttingDown.disconnectingRoom');
      case 'xstate.after.shutdownProcessTimeout.job.shuttingDown.runningCallbacks':
        return next('shuttingDown.runningCallbacks', 'shuttingDown.disconnectingRoom', timeout('callbacks', TIMEOUTS.shutdownProcessTimeout));
      case 'xstate.done.actor.disconnectRoom':
        return next('shuttingDown.disconnectingRoom', 'done');
      case 'xstate.error.actor.disconnectRoom':
        return next('shuttingDown.disconnectingRoom', 'done', [ShutdownPhaseError, 'shutdown phase "room" failed: the server hung up on us']);
      case 'xstate.after.roomDisconnectTimeout.job.shuttingDown.disconnectingRoom':
        return next('shuttingDown.disconnectingRoom', 'done', timeout('room', TIMEOUTS.roomDisconnectTimeout));
      default:
        throw new Error(`the contract has no ${type}`);
    }
  }
}

interface JournalEntry {
  event: EventObject;
  snapshot: JobSnapshot;
}

/** Every event a job actor processed, with its snapshot right after it (from inspection). */
class SnapshotJournal {
  readonly #byActor = new WeakMap<object, JournalEntry[]>();
  readonly #remove = addInspector((event: InspectionEvent) => {
    if (event.type !== '@xstate.snapshot' || event.event.type === 'xstate.init' || event.event.type === 'xstate.stop') return;
    if ((event.actorRef as { logic?: { id?: string } }).logic?.id !== jobMachine.id) return;
    let list = this.#byActor.get(event.actorRef);
    if (list === undefined) this.#byActor.set(event.actorRef, (list = []));
    list.push({ event: event.event, snapshot: event.snapshot as JobSnapshot });
  });

  /** What `actor` processed since the last take, oldest first; forgets it. */
  take(actor: object): JournalEntry[] {
    return this.#byActor.get(actor)?.splice(0) ?? [];
  }

  stop(): void {
    this.#remove();
  }
}

const summarize = (context: JobMachineContext) => ({
  reason: context.reason,
  source: context.source,
  problems: context.problems.map((p) => `${p.kind}${'phase' in p ? `:${p.phase}` : ''}${'timeoutMs' in p ? ` after ${p.timeoutMs} ms` : ''}`),
});

function expectErrors(errors: readonly VoxstateError[], expected: readonly ExpectedError[], where: string): void {
  expect(errors.map((error) => error.constructor), `${where}: typed errors`).toEqual(expected.map(([type]) => type));
  expected.forEach(([, message], i) => expect(errors[i]!.message, `${where}: error ${i + 1}`).toContain(message));
}

/** An agent whose onExit returns when the test says so. */
class HeldExitAgent extends Agent {
  constructor(private readonly exit: Deferred) {
    super({ instructions: 'leaves when told' });
  }
  override onExit(): Promise<void> {
    return this.exit.promise;
  }
}

async function runGeneratedPath(path: GeneratedPath, journal: SnapshotJournal): Promise<void> {
  // The world, from the path: the room is connected behind the job's back only when the path has
  // the room disconnect while the job is still connecting (the entrypoint called
  // ctx.room.connect() instead of ctx.connect()).
  const connectsRoomItself = path.steps.some(
    (step, i) => step.event.type === 'shutdown' && (step.event as ShutdownSample).source === 'room' && path.steps[i - 1]!.state.matches({ started: 'connecting' }),
  );
  let entrypointRunning = false;
  const entrypoint = async (ctx: JobContext, w: World) => {
    entrypointRunning = true;
    try {
      if (connectsRoomItself) await ctx.room.connect();
      w.session = new AgentSession({ llm: new ScriptedLLM(), agentHookTimeout: 1e9 });
      w.session.output = new ScriptedOutput();
      await w.session.start({ agent: new HeldExitAgent(w.gate('onExit')) });
      const crash = w.gate('crash').promise.then(() => {
        throw new Error('lost the plot');
      });
      const aborted = new Promise<'abort'>((resolve) => ctx.signal.addEventListener('abort', () => resolve('abort'), { once: true }));
      const first = await Promise.race([crash, aborted, w.gate('connect').promise.then(() => 'connect' as const)]);
      if (first === 'connect') {
        await ctx.connect();
        await Promise.race([crash, aborted]);
      }
      await Promise.race([crash, w.gate('return').promise]);
    } finally {
      entrypointRunning = false;
    }
  };
  const setup = (w: World) => {
    w.room.disconnect_ = 'held';
    w.ctx.addShutdownCallback(async function holding(reason) {
      w.callbackCalls.push(`holding: ${reason}`);
      await w.gate('callbacks').promise;
    });
    w.ctx.addShutdownCallback(async function failing(reason) {
      w.callbackCalls.push(`failing: ${reason}`);
      await w.gate('callback.fail').promise;
    });
  };

  // What the statechart says after each step of the path. Not the path's own step states: the
  // traversal keeps one snapshot per key, and keys abstract the context (whether problems were
  // recorded, not which), so a step's stored snapshot may come from another route to the same key.
  const expected: JobSnapshot[] = [];
  {
    const replay = new ModelReplay(jobMachine, { jobId: 'job-model', ...DEFAULT_JOB_TIMEOUTS, ...TIMEOUTS });
    for (const [i, { event, state }] of path.steps.entries()) {
      if (i > 0) replay.apply([event]);
      expect(replay.snapshot.value, `the path's step ${i} against the statechart`).toEqual(state.value);
      expected.push(replay.snapshot);
    }
  }
  let stepIndex = -1;
  // What the job must be seen doing, by the README's contract rather than by the statechart.
  const contract = new JobContract();

  let w!: World;
  // Events the job handled (the statechart has a transition for them) not yet matched to a step.
  const unmatched: JournalEntry[] = [];
  let current: JournalEntry | undefined;
  const collect = () => {
    for (const entry of journal.take(w.job.actor)) {
      const handled = w.model.snapshot.can(entry.event as never);
      w.model.apply([entry.event]);
      // The real actor and the statechart, given the same events, agree.
      expect(entry.snapshot.value, `after ${labelOf(entry.event)}: the real actor against the statechart`).toEqual(w.model.snapshot.value);
      if (handled) unmatched.push(entry);
    }
  };

  /** A step: its real action, unless the job already took it on its own where `byItself` says why it may. */
  const step =
    (act: (step: PathStep) => unknown, byItself?: () => string | undefined) =>
    async (pathStep: PathStep): Promise<void> => {
      stepIndex += 1;
      collect();
      if (unmatched.length === 0) {
        await act(pathStep);
        await settle();
        collect();
      } else {
        expect(byItself?.(), `${labelOf(pathStep.event)} happened with no action`).toBeDefined();
      }
      current = unmatched.shift();
      expect(current && labelOf(current.event), `${labelOf(pathStep.event)}: the event the job received`).toBe(labelOf(pathStep.event));
      contract.apply(pathStep.event);
    };

  const afterDelay = (type: string) =>
    step(async () => {
      const delay = /^xstate\.after\.([^.]+)\./.exec(type)![1] as keyof JobTimeouts;
      const ms = TIMEOUTS[delay];
      await vi.advanceTimersByTimeAsync(ms - 1);
      collect();
      expect(unmatched.map((entry) => labelOf(entry.event)), `nothing happens before ${delay} (${ms} ms) has passed`).toEqual([]);
      await vi.advanceTimersByTimeAsync(1);
    });

  const events: Record<string, (step: PathStep) => Promise<void>> = {
    'xstate.init': async () => {
      stepIndex = 0;
      w = build({ entrypoint, setup, present: [] });
      collect();
      expect(unmatched).toEqual([]);
      current = { event: { type: 'xstate.init' }, snapshot: w.job.actor.getSnapshot() };
    },
    start: step(() => w.job.start()),
    'room.connected': step(() => w.gate('connect').resolve()),
    'participants.present': step(() => w.members.set('caller', w.room.join({ identity: 'caller', kind: 'sip' }))),
    'participants.gone': step(() => w.members.get('caller')!.leave()),
    shutdown: step(({ event }) => {
      const { source, reason } = event as ShutdownSample;
      switch (source) {
        case 'user':
          return w.ctx.shutdown(reason);
        case 'worker':
          return w.job.requestShutdown(reason);
        case 'room':
          return w.room.close('room deleted');
        default:
          throw new Error(`no real shutdown from ${source}`);
      }
    }),
    'xstate.error.actor.entrypoint': step(() => w.gate('crash').resolve()),
    'xstate.done.actor.joinEntrypoints': step(
      () => w.gate('return').resolve(),
      () => (entrypointRunning ? undefined : 'no user code is running'),
    ),
    'xstate.done.actor.closeSession': step(
      () => w.gate('onExit').resolve(),
      () => (w.session === undefined || w.session.state === 'closed' ? 'no open primary session' : undefined),
    ),
    'callback.failed': step(() => w.gate('callback.fail').reject(CALLBACK_ERROR)),
    fail: step(({ event }) => w.job.fail(INPUT_ERROR, (event as unknown as { reason: string }).reason)),
    'xstate.done.actor.runShutdownCallbacks': step(() => {
      w.gate('callbacks').resolve();
      if (!w.gate('callback.fail').settled) w.gate('callback.fail').resolve();
    }),
    'xstate.done.actor.disconnectRoom': step(() => w.room.held.resolve()),
    'xstate.error.actor.disconnectRoom': step(() => w.room.held.reject(new Error('the server hung up on us'))),
  };
  for (const { event } of path.steps) {
    if (event.type.startsWith('xstate.after.')) events[event.type] = afterDelay(event.type);
    expect(events[event.type], `a real action for ${event.type}`).toBeDefined();
  }

  const checkState = (pathState: JobSnapshot) => {
    const state = expected[stepIndex]!;
    expect(state.value).toEqual(pathState.value);
    const where = `in ${JSON.stringify(state.value)}`;
    const real = current!.snapshot;
    expect(real.value, `${where}: the job's state value`).toEqual(state.value);
    expect(real.status, `${where}: the job's status`).toBe(state.status);
    expect(summarize(real.context), `${where}: the job's context`).toEqual(summarize(state.context));
    if (unmatched.length > 0) return; // the job went on by itself: the next step checks where it rests
    // The job rests here: its live state, and everything it told the world so far, by the contract.
    expect(w.job.actor.getSnapshot().value, `${where}: live state value`).toEqual(state.value);
    expect(w.job.state, `${where}: job.state`).toBe(contract.phase);
    expect(w.ctx.state, `${where}: ctx.state`).toBe(contract.phase);
    expect(w.ctx.signal.aborted, `${where}: ctx.signal.aborted`).toBe(contract.shutdownBegun);
    expect(
      w.emitted.filter((line) => line.startsWith('shutdown:')),
      `${where}: the ctx shutdown event`,
    ).toEqual(contract.reason === undefined ? [] : [`shutdown:${contract.reason} (${contract.source})`]);
    expectErrors(w.errors, contract.errors, where);
    expect(w.callbackCalls, `${where}: the shutdown callbacks ran once each, with the reason`).toEqual(
      contract.callbacksRan ? [`holding: ${contract.reason}`, `failing: ${contract.reason}`] : [],
    );
    expect(w.warnings, `${where}: the overdue connection was logged`).toEqual(
      contract.overdue ? [expect.stringContaining('not connected within 5000 ms')] : [],
    );
  };

  await path.test({ events, states: { '*': checkState } });

  // Past the path's end the job may only go on where nothing is waited for.
  collect();
  for (const entry of unmatched) {
    expect(['done.joinEntrypoints', 'done.closeSession'], `after the path: ${labelOf(entry.event)}`).toContain(labelOf(entry.event));
  }
  // The job's output, when the path ends it: status, reason and typed errors, by the contract.
  await settle();
  if (contract.phase !== 'done') {
    expect(w.result, 'the job is not over').toBeUndefined();
    return;
  }
  expect(w.result, 'job.result resolved').toBeDefined();
  const result = w.result!;
  expect(result).toMatchObject({
    jobId: 'job-model',
    reason: contract.reason,
    status: contract.errors.length > 0 ? 'failed' : 'success',
  });
  expectErrors(result.errors, contract.errors, 'job.result');
  expect(result.error).toBe(result.errors[0]);
  const text = (error: VoxstateError) => `${error.name}: ${error.message}`;
  expect(w.errors.map(text), 'every problem was reported as a ctx error event as it happened').toEqual(result.errors.map(text));
  expect(w.room.isConnected).toBe(false);
}

describe('generated paths (xstate/graph)', () => {
  const paths = generatePaths();
  const skipped: string[] = [];
  let tracker: CoverageTracker;
  let journal: SnapshotJournal;

  beforeAll(() => {
    // Installed now, so they see only the jobs of the generated paths.
    tracker = new CoverageTracker(jobMachine);
    journal = new SnapshotJournal();
  });
  afterAll(() => {
    console.log(
      `job machine: ${paths.length} generated paths (xstate/graph shortest paths), ${paths.length - skipped.length} run on a real Job, ` +
        `${skipped.length} skipped as not performable:\n${skipped.map((line) => `  - ${line}`).join('\n')}`,
    );
    console.log(`generated paths only: ${tracker.report()}`);
    tracker.stop();
    journal.stop();
  });

  paths.forEach((path, index) => {
    const name = `#${index + 1} ${path.steps
      .slice(1)
      .map((step) => labelOf(step.event))
      .join(' → ')} ⇒ ${JSON.stringify(path.state.value)}`;
    const why = whyNotPerformable(path);
    if (why !== undefined) {
      skipped.push(`${name}: ${why}`);
      it.skip(`${name} (not performable: ${why})`, () => {});
      return;
    }
    it(name, async () => {
      await runGeneratedPath(path, journal);
    });
  });

  it('the generated paths alone take every state and transition of the job machine', () => {
    expect(paths.length - skipped.length).toBeGreaterThan(0);
    const { states, transitions } = tracker.coverage();
    expect(states.missing).toEqual([]);
    expect(transitions.missing).toEqual([]);
    expect(states.covered).toBe(states.total);
    expect(transitions.covered).toBe(transitions.total);
  });
});

/**
 * Model-based test of machines/worker.ts against the REAL Worker (src/worker/worker.ts) talking to
 * the fake LiveKit dispatcher over a real WebSocket, running real jobs (InProcessExecutor).
 *
 * The paths come from xstate/graph (TestModel shortest paths), not by hand. They are walked in
 * real-world steps rather than machine events: one step is what a test can do to the world (the
 * server drops the socket, answers the registration, offers a job; a delay elapses; a job's room
 * closes; the program calls drain() or aclose()), and the statechart says which events the
 * worker's actor must receive for it (e.g. offering a job to a worker that can take it is
 * `server.availability` then `job.accepted`, as the program's requestFnc accepts; a job ending is
 * its actor's done event). The model's logic applies those events with XState's pure transition
 * function; the traversal keys states by state value, the context that guards read (retries, load
 * over the threshold, offers, pending and running jobs) and the step that led there, so that every
 * transition is taken.
 *
 * Each path runs on a fresh Worker whose delays run on a manual clock (a step fires exactly the
 * timer it names). After each step the test checks that the real actor received exactly the
 * step's events, that its state value and context agree with the statechart's, and that LiveKit
 * received exactly the frames the step should make the worker send (registration, answers to
 * offers, job statuses, worker status and load, keep-alive pings; the status of every running job
 * is reported again after each registration, and a job status made offline is sent after the next
 * one; no MigrateJobRequest, ever). At the end of a path the worker closes (a close handshake:
 * every frame it sent has arrived) and no frame may be left unaccounted for. Coverage of the statechart's states and
 * transitions is measured on the real actors (CoverageTracker) and must be complete.
 */
import { JobStatus, WorkerStatus, type WorkerMessage } from '@livekit/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  __unsafe_getAllOwnEventDescriptors,
  createActor,
  fromCallback,
  fromPromise,
  initialTransition,
  transition,
  type ActorLogic,
  type AnyActorRef,
  type EventObject,
  type SnapshotFrom,
} from 'xstate';
import { TestModel } from 'xstate/graph';
import { assignedJobMachine } from '../../machines/assigned_job.js';
import { workerMachine, type WorkerMachineInput } from '../../machines/worker.js';
import { AgentServer, LocalRoom } from '../../src/index.js';
import type { Clock } from '../../src/actors/start_actor.js';
import { until } from '../../src/actors/until.js';
import { InProcessExecutor } from '../../src/worker/in_process_executor.js';
import type { JobExecutor, RunningJobInfo } from '../../src/worker/running_job.js';
import { KEEP_ALIVE_INTERVAL_MS, PONG_TIMEOUT_MS, Worker } from '../../src/worker/worker.js';
import { FakeLiveKitServer } from '../support/fake_livekit_server.js';
import { CoverageTracker } from '../support/model_coverage.js';
import { ReceivedEvents, shortEventName } from '../support/received_events.js';

type Snapshot = SnapshotFrom<typeof workerMachine>;

const KEY = 'APImodel';
const SECRET = 'model-test-secret-0123456789abcdefghijklmnopq';
const LOW = 0.1;
const HIGH = 0.9;
/**
 * Every delay has its own length, so the manual clock can fire one by its length. Paths are
 * generated with one retry allowed (the first, immediate one) and offers taken whatever the load,
 * and with no retry (a worker that fails as soon as its registered connection drops) and offers
 * declined while full (declineWhenFull).
 */
const INPUT: WorkerMachineInput = {
  loadThreshold: 0.5,
  declineWhenFull: false,
  maxRetry: 1,
  drainTimeout: 1_000,
  statusInterval: 2_500,
  assignmentTimeout: 7_500,
  requestTimeout: 4_000,
  keepAliveInterval: KEEP_ALIVE_INTERVAL_MS,
  pongTimeout: PONG_TIMEOUT_MS,
  connectTimeout: 5_000,
  registerTimeout: 10_000,
};
const INPUTS: WorkerMachineInput[] = [INPUT, { ...INPUT, maxRetry: 0, declineWhenFull: true }];
const BACKOFF = 0; // with maxRetry ≤ 1 the only backoff is the first, immediate one

// --- the model: real-world steps over the statechart ---

/** How the server takes a connection: accepted, refused (503, 401), or held unanswered. */
type Connect = 'ok' | 'down' | 'auth' | 'hang';
type Load = 'low' | 'high' | 'error';
/** How the program's requestFnc answers an offer: accepts, rejects, or never answers. */
type Answer = 'accept' | 'reject' | 'hang';
type Step =
  | { type: 'run'; connect: Connect }
  | { type: 'run.executorFails' }
  | { type: 'backoff'; connect: Connect }
  | { type: 'register'; load: Load }
  | { type: 'tick'; load: Load }
  | { type: 'offer'; answer: Answer }
  | { type: 'requestTimeout' }
  | { type: 'ping' }
  | { type: 'pingUnanswered' }
  | { type: 'pongTimeout' }
  /** An assignment; `broken`: the executor breaks its contract (its launch throws instead of rejecting). */
  | { type: 'assign'; job: 'J' | 'stranger'; executor?: 'broken' }
  | { type: 'terminate'; job: 'J' | 'stranger' }
  | { type: 'registerAgain' }
  | { type: 'drop' }
  | { type: 'connectTimeout' }
  | { type: 'registerTimeout' }
  | { type: 'assignmentTimeout' }
  | { type: 'endJob' }
  | { type: 'drain' }
  | { type: 'drainTimeout' }
  /** aclose(): the executor closes, fails to, aclose() is called twice, or LiveKit drops the socket meanwhile. */
  | { type: 'close'; how: 'ok' | 'fails' | 'twice' | 'dropped' };

const CONNECTION_ERROR = { code: 'worker_connection_failed' };
const LAUNCH_THROWS = new Error('the executor is broken');
const AUTH_ERROR = { code: 'worker_auth_refused' };
const LOAD_ERROR = new Error('no load');

/** What the connect actor reports: nothing while the server holds the upgrade. */
function connectResult(connect: Connect): EventObject[] {
  if (connect === 'hang') return [];
  if (connect === 'ok') return [{ type: 'xstate.done.actor.connect' }];
  return [{ type: 'xstate.error.actor.connect', error: connect === 'auth' ? AUTH_ERROR : CONNECTION_ERROR } as EventObject];
}

function sampleResult(load: Load): EventObject {
  if (load === 'error') return { type: 'xstate.error.actor.sampleLoad', error: LOAD_ERROR } as EventObject;
  return { type: 'xstate.done.actor.sampleLoad', output: load === 'low' ? LOW : HIGH } as EventObject;
}

const job = { id: 'J', dispatchId: 'AD_J', type: 'room' as const, roomName: 'room-J', roomSid: 'RM_J', metadata: '', agentName: '', participantIdentity: undefined, attributes: {} };

function afterEvent(snapshot: Snapshot, delay: string): EventObject {
  const type = __unsafe_getAllOwnEventDescriptors(snapshot).find((t) => t.startsWith(`xstate.after.${delay}.`));
  if (!type) throw new Error(`no ${delay} delay in ${JSON.stringify(snapshot.value)}`);
  return { type };
}

/** The machine events a step makes the worker's actor receive, from `snapshot`. */
function eventsOf(step: Step, snapshot: Snapshot): EventObject[] {
  const { context } = snapshot;
  switch (step.type) {
    case 'run':
      return [{ type: 'run' }, { type: 'xstate.done.actor.startExecutor' }, ...connectResult(step.connect)];
    case 'run.executorFails':
      return [{ type: 'run' }, { type: 'xstate.error.actor.startExecutor', error: new Error('no executor') } as EventObject];
    case 'backoff':
      return [afterEvent(snapshot, 'backoff'), ...connectResult(step.connect)];
    case 'connectTimeout':
      return [afterEvent(snapshot, 'connectTimeout')];
    case 'register':
      return [{ type: 'server.registered', workerId: 'AW' } as EventObject, sampleResult(step.load)];
    case 'tick':
      return [afterEvent(snapshot, 'statusInterval'), sampleResult(step.load)];
    case 'offer': {
      const offered = { type: 'server.availability', job, resuming: false } as EventObject;
      const full = context.load >= context.loadThreshold;
      const takes = registered(snapshot) && accepting(snapshot) && !(context.declineWhenFull && full);
      if (!takes || step.answer === 'hang') return [offered];
      // The offer's actor asks the program, which answers; then it is done.
      const answer =
        step.answer === 'accept' ? ({ type: 'job.accepted', pending: { job, acceptArguments: ACCEPTED } } as EventObject) : ({ type: 'job.rejected', jobId: 'J' } as EventObject);
      return [offered, answer, { type: 'xstate.done.actor.offer.J', actorId: 'offer.J' } as EventObject];
    }
    case 'requestTimeout':
      return [{ type: 'offer.timeout', jobId: 'J' } as EventObject];
    case 'ping':
      return [afterEvent(snapshot, 'keepAliveInterval'), { type: 'socket.pong' }];
    case 'pingUnanswered':
      return [afterEvent(snapshot, 'keepAliveInterval')];
    case 'pongTimeout':
      return [afterEvent(snapshot, 'pongTimeout')];
    case 'assign': {
      // The real event carries the assignment sealed; the statechart only passes it on.
      const assigned = { type: 'server.assignment', jobId: step.job, assignment: { jobId: step.job } } as EventObject;
      // A broken executor makes the job's actor fail as it starts.
      return step.executor === 'broken' ? [assigned, { type: 'xstate.error.actor.job.J', actorId: 'job.J', error: LAUNCH_THROWS } as EventObject] : [assigned];
    }
    case 'terminate': {
      const ends = step.job === 'J' && runsJ(snapshot) && registered(snapshot);
      return [{ type: 'server.termination', jobId: step.job } as EventObject, ...(ends ? jobsEnded(['J']) : [])];
    }
    case 'registerAgain':
      return [{ type: 'server.registered', workerId: 'AW2' } as EventObject];
    case 'drop':
      return [{ type: 'socket.closed', error: CONNECTION_ERROR } as EventObject];
    case 'registerTimeout':
      return [afterEvent(snapshot, 'registerTimeout')];
    case 'assignmentTimeout':
      return [{ type: 'assignment.timeout', jobId: 'J' } as EventObject];
    case 'endJob':
      return jobsEnded(['J']);
    case 'drain':
      return [{ type: 'drain' }];
    case 'drainTimeout':
      return [afterEvent(snapshot, 'drainTimeout'), ...jobsEnded(Object.keys(context.jobs))];
    case 'close': {
      if (snapshot.matches('idle')) return [{ type: 'close' }];
      const done = step.how === 'fails' ? ({ type: 'xstate.error.actor.shutDown', error: new Error('stuck') } as EventObject) : { type: 'xstate.done.actor.shutDown' };
      // Closing shuts the running jobs down (they end before the executor says it is closed).
      const ended = jobsEnded(Object.keys(context.jobs));
      if (step.how === 'twice') return [{ type: 'close' }, { type: 'close' }, ...ended, done];
      if (step.how === 'dropped') return [{ type: 'close' }, { type: 'socket.closed', error: CONNECTION_ERROR } as EventObject, ...ended, done];
      return [{ type: 'close' }, ...ended, done];
    }
  }
}

const ACCEPTED = { identity: 'agent-J', name: '', metadata: '', attributes: { 'lk.agent.name': '' } };

/** What the worker receives as jobs end: each job's actor is done. */
const jobsEnded = (jobIds: string[]): EventObject[] => jobIds.map((jobId) => ({ type: `xstate.done.actor.job.${jobId}`, actorId: `job.${jobId}` }) as EventObject);

/** The offers the program is still asked about. */
const offering = (snapshot: Snapshot) => Object.keys(snapshot.context.offers);
const runsJ = (snapshot: Snapshot) => Object.hasOwn(snapshot.context.jobs, 'J');
const accepting = (snapshot: Snapshot) => snapshot.matches({ online: { work: 'accepting' } });

/** The steps that make sense from `snapshot` (one job at a time keeps the model small). */
function stepsFrom(snapshot: Snapshot): Step[] {
  const { context } = snapshot;
  const in_ = (value: object | string) => snapshot.matches(value as never);
  const steps: Step[] = [];
  const hasJob = runsJ(snapshot);
  const pending = Object.hasOwn(context.pending, 'J');
  const asked = offering(snapshot).length > 0;
  if (in_('idle')) steps.push({ type: 'run', connect: 'ok' }, { type: 'run', connect: 'down' }, { type: 'run', connect: 'auth' }, { type: 'run.executorFails' });
  if (in_('idle')) steps.push({ type: 'run', connect: 'hang' });
  if (in_({ online: { connection: 'reconnecting' } }))
    steps.push({ type: 'backoff', connect: 'ok' }, { type: 'backoff', connect: 'down' }, { type: 'backoff', connect: 'auth' }, { type: 'backoff', connect: 'hang' });
  // At rest in connecting only when the server holds the upgrade.
  if (in_({ online: { connection: 'connecting' } })) steps.push({ type: 'connectTimeout' });
  if (in_({ online: { connection: 'registering' } }))
    steps.push(
      { type: 'register', load: 'low' },
      { type: 'register', load: 'high' },
      { type: 'register', load: 'error' },
      { type: 'offer', answer: 'accept' },
      { type: 'assign', job: 'J' },
      { type: 'terminate', job: 'J' },
      { type: 'drop' },
      { type: 'registerTimeout' },
    );
  if (in_({ online: { connection: 'registered' } })) {
    steps.push({ type: 'tick', load: 'low' }, { type: 'tick', load: 'high' }, { type: 'tick', load: 'error' });
    if (!hasJob && !pending && !asked) steps.push({ type: 'offer', answer: 'accept' }, { type: 'offer', answer: 'reject' }, { type: 'offer', answer: 'hang' });
    if (in_({ online: { connection: { registered: { keepAlive: 'waiting' } } } })) steps.push({ type: 'ping' }, { type: 'pingUnanswered' });
    if (in_({ online: { connection: { registered: { keepAlive: 'awaitingPong' } } } })) steps.push({ type: 'pongTimeout' });
    if (pending) steps.push({ type: 'assign', job: 'J' }, { type: 'assign', job: 'J', executor: 'broken' });
    steps.push({ type: 'assign', job: 'stranger' }, { type: 'terminate', job: 'stranger' }, { type: 'registerAgain' }, { type: 'drop' });
    if (hasJob) steps.push({ type: 'terminate', job: 'J' });
  }
  if (in_('online')) {
    if (pending) steps.push({ type: 'assignmentTimeout' });
    if (asked) steps.push({ type: 'requestTimeout' });
    if (in_({ online: { work: 'accepting' } })) steps.push({ type: 'drain' });
    if (in_({ online: { work: { draining: 'waitingForJobs' } } })) steps.push({ type: 'drainTimeout' });
  }
  if (hasJob) steps.push({ type: 'endJob' });
  // A closed worker's actor is done: it receives nothing any more (aclose() again just resolves).
  if (!in_('closed')) steps.push({ type: 'close', how: 'ok' }, { type: 'close', how: 'fails' }, { type: 'close', how: 'twice' });
  if (in_({ online: { connection: 'registered' } })) steps.push({ type: 'close', how: 'dropped' });
  return steps;
}

function applyAll(snapshot: Snapshot, events: EventObject[]): Snapshot {
  let next = snapshot;
  for (const event of events) [next] = transition(workerMachine, next, event as never) as unknown as [Snapshot];
  return next;
}

function stepLogic(input: WorkerMachineInput) {
  return {
    transition: (snapshot: Snapshot, step: Step) => applyAll(snapshot, eventsOf(step, snapshot)),
    getInitialSnapshot: () => initialTransition(workerMachine, input)[0] as Snapshot,
  } as unknown as ActorLogic<never, never>;
}

function label(step: Step): string {
  const { type, ...rest } = step;
  const params = Object.values(rest);
  return params.length ? `${type}(${params.join(',')})` : type;
}

/** What the guards read, abstracted. */
function summary(snapshot: Snapshot) {
  const { context } = snapshot;
  return {
    retries: context.retries,
    high: context.load >= context.loadThreshold,
    pending: Object.keys(context.pending),
    jobs: Object.keys(context.jobs),
    offering: offering(snapshot),
  };
}

function keyOf(snapshot: Snapshot): string {
  return `${JSON.stringify(snapshot.value)} ${JSON.stringify(summary(snapshot))}`;
}

interface GeneratedPath {
  steps: Array<{ state: Snapshot; event: Step }>;
  state: Snapshot;
  input: WorkerMachineInput;
}

function generatePaths(input: WorkerMachineInput): GeneratedPath[] {
  const model = new TestModel(stepLogic(input) as never, {
    events: (snapshot: unknown) => stepsFrom(snapshot as Snapshot),
    serializeState: (snapshot: unknown, step: unknown) => `${keyOf(snapshot as Snapshot)} via ${step ? label(step as Step) : '-'}`,
    serializeEvent: (step: unknown) => JSON.stringify(step),
  } as never);
  return (model.getShortestPaths() as unknown as GeneratedPath[]).map((path) => ({ ...path, input }));
}

/** The statechart with actors that never finish on their own: a path's events alone drive it. */
const inertMachine = workerMachine.provide({
  actors: {
    startExecutor: fromPromise(() => new Promise<void>(() => {})),
    connect: fromPromise(() => new Promise<void>(() => {})),
    sampleLoad: fromPromise(() => new Promise<number>(() => {})),
    shutDown: fromPromise(() => new Promise<void>(() => {})),
    offerJob: fromPromise(() => new Promise<void>(() => {})),
    assignedJob: assignedJobMachine.provide({ actors: { runJob: fromCallback(() => () => {}) } }),
  },
});

/** The transitions of the statechart (each guarded candidate apart) a path takes, from its events. */
function transitionsOf(path: GeneratedPath): Set<object> {
  const taken = new Set<object>();
  const actor = createActor(inertMachine, {
    input: path.input,
    clock: new ManualClock(),
    inspect: (event) => {
      if (event.type !== '@xstate.microstep') return;
      for (const t of (event as unknown as { _transitions: object[] })._transitions) taken.add(t);
    },
  });
  actor.start();
  for (const [i, { event: step }] of path.steps.entries()) {
    if (i === 0) continue;
    for (const event of eventsOf(step, path.steps[i - 1]!.state)) actor.send(event as never);
  }
  actor.stop();
  return taken;
}

/**
 * The kinds of frames a path makes each kind of step send (e.g. a registration that sends the job
 * statuses queued while offline), so that the chosen paths check every one of them.
 */
function frameKindsOf(path: GeneratedPath): Set<string> {
  const kinds = new Set<string>();
  const queued: Frame[] = [];
  for (const [i, { state, event: step }] of path.steps.entries()) {
    if (i === 0) continue;
    for (const frame of framesOf(step, path.steps[i - 1]!.state, state, queued)) {
      const detail = 'status' in frame ? frame.status : 'available' in frame ? frame.available : '';
      kinds.add(`${step.type} sends ${frame.kind} ${detail}`);
    }
  }
  return kinds;
}

/**
 * Of the shortest paths to every (state, step that led there), the fewest that together take
 * every transition any of them takes and make every kind of step send every kind of frame it
 * can (greedy set cover): the rest would walk the same transitions again with other data.
 */
function coveringPaths(paths: GeneratedPath[]): GeneratedPath[] {
  const candidates = paths.map((path) => ({ path, taken: new Set<object | string>([...transitionsOf(path), ...frameKindsOf(path)]) }));
  const uncovered = new Set(candidates.flatMap(({ taken }) => [...taken]));
  const chosen: GeneratedPath[] = [];
  while (uncovered.size > 0) {
    let best = candidates[0]!;
    let bestGain = -1;
    for (const candidate of candidates) {
      let gain = 0;
      for (const t of candidate.taken) if (uncovered.has(t)) gain += 1;
      if (gain > bestGain) [best, bestGain] = [candidate, gain];
    }
    chosen.push(best.path);
    for (const t of best.taken) uncovered.delete(t);
  }
  return chosen;
}

// --- what LiveKit must receive ---

/** A frame the worker sends, as the test writes it (the load rounded: it travels as a float32). */
type Frame =
  | { kind: 'register' }
  | { kind: 'updateWorker'; status: WorkerStatus; load: number; jobCount: number }
  | { kind: 'availability'; jobId: string; available: boolean }
  | { kind: 'updateJob'; jobId: string; status: JobStatus };

const registered = (snapshot: Snapshot) => snapshot.matches({ online: { connection: 'registered' } });

const rounded = (load: number) => Math.round(load * 1e4) / 1e4;

/** The status report of a worker in `snapshot`: full while it takes no jobs or at the load threshold. */
function statusOf(snapshot: Snapshot): Frame {
  const { context } = snapshot;
  const full = !accepting(snapshot) || context.load >= context.loadThreshold;
  return { kind: 'updateWorker', status: full ? WorkerStatus.WS_FULL : WorkerStatus.WS_AVAILABLE, load: rounded(context.load), jobCount: Object.keys(context.jobs).length };
}

/**
 * The frames a step makes the worker send, from the statechart's snapshots before and after it.
 * A job status made while the worker is not registered waits in `queued` for the next registration;
 * anything else is not sent then.
 */
function framesOf(step: Step, before: Snapshot, after: Snapshot, queued: Frame[]): Frame[] {
  const online = registered(before);
  const endsOf = (jobIds: string[]): Frame[] => {
    const frames = jobIds.map((jobId): Frame => ({ kind: 'updateJob', jobId, status: JobStatus.JS_SUCCESS }));
    if (online) return frames;
    queued.push(...frames);
    return [];
  };
  switch (step.type) {
    case 'run':
    case 'backoff':
      return after.matches({ online: { connection: 'registering' } }) ? [{ kind: 'register' }] : [];
    case 'register': {
      // Registered (a new worker to LiveKit): the running jobs' statuses again, then the statuses made offline, then the load.
      const running = Object.keys(before.context.jobs).map((jobId): Frame => ({ kind: 'updateJob', jobId, status: JobStatus.JS_RUNNING }));
      return [...running, ...queued.splice(0), statusOf(after)];
    }
    case 'tick':
      return [statusOf(after)];
    case 'offer':
      // Answered at once (accepted, rejected or declined), or not yet while the program is still asked.
      if (!online || offering(after).length > 0) return [];
      return [{ kind: 'availability', jobId: 'J', available: Object.hasOwn(after.context.pending, 'J') }];
    case 'requestTimeout':
      return online ? [{ kind: 'availability', jobId: 'J', available: false }] : [];
    case 'assign':
      if (!online) return [];
      if (step.job === 'J' && Object.hasOwn(before.context.pending, 'J') && step.executor !== 'broken') return [{ kind: 'updateJob', jobId: 'J', status: JobStatus.JS_RUNNING }];
      // Refused, or given up as failed.
      return [{ kind: 'updateJob', jobId: step.job, status: JobStatus.JS_FAILED }];
    case 'terminate':
      return online && step.job === 'J' && runsJ(before) ? endsOf(['J']) : [];
    case 'endJob':
      return endsOf(['J']);
    case 'drain':
      // Full at once, unless LiveKit was last told so.
      return online && before.matches({ online: { connection: { registered: { status: 'available' } } } }) ? [statusOf(after)] : [];
    case 'close':
      // LiveKit dropped the socket first: nothing more reaches it.
      if (step.how === 'dropped') return [];
    // falls through
    case 'drainTimeout':
      // The running jobs are shut down (and reported) before the socket closes.
      return endsOf(Object.keys(before.context.jobs));
    default:
      return [];
  }
}

/** A received frame as the test writes it. */
function frameOf({ message }: WorkerMessage): Frame | { kind: string } {
  switch (message.case) {
    case 'register':
      return { kind: 'register' };
    case 'updateWorker':
      return { kind: 'updateWorker', status: message.value.status!, load: rounded(message.value.load), jobCount: message.value.jobCount };
    case 'availability':
      return { kind: 'availability', jobId: message.value.jobId, available: message.value.available };
    case 'updateJob':
      return { kind: 'updateJob', jobId: message.value.jobId, status: message.value.status };
    default:
      return { kind: String(message.case) };
  }
}

/** Every event `actor` receives from now on, once there are `count` (or it has stopped). */
async function eventsReceived(received: ReceivedEvents, actor: AnyActorRef, count: number): Promise<EventObject[]> {
  const got: EventObject[] = [];
  for (;;) {
    got.push(...received.take(actor));
    if (got.length >= count || actor.getSnapshot().status !== 'active') return got;
    await new Promise<void>((resolve) => {
      const subscription = actor.subscribe({
        next: () => {
          subscription.unsubscribe();
          resolve();
        },
        complete: () => resolve(),
        error: () => resolve(),
      });
    });
  }
}

// --- the real world ---

/** Delays fire only when the test says, by their length. */
class ManualClock implements Clock {
  #next = 1;
  readonly timers = new Map<number, { fn: () => void; ms: number }>();
  setTimeout(fn: (...args: unknown[]) => void, ms: number): number {
    const id = this.#next++;
    this.timers.set(id, { fn, ms });
    return id;
  }
  clearTimeout(id: unknown): void {
    this.timers.delete(id as number);
  }
  fire(ms: number): void {
    const due = [...this.timers].filter(([, timer]) => timer.ms === ms);
    if (due.length === 0) throw new Error(`no ${ms} ms timer is pending (pending: ${[...this.timers.values()].map((t) => t.ms).join(', ')})`);
    for (const [id, timer] of due) {
      this.timers.delete(id);
      timer.fn();
    }
  }
}

/** InProcessExecutor whose start or close can be made to fail, whose launch can break its contract, and whose close can be held. */
class TestExecutor implements JobExecutor {
  startFails = false;
  closeFails = false;
  launchThrows = false;
  /** Resolved to let close() go on, when held. */
  closeHeld: Promise<void> | undefined;
  readonly rooms = new Map<string, LocalRoom>();
  readonly inner: InProcessExecutor;
  constructor(server: AgentServer) {
    this.inner = new InProcessExecutor(server, {
      roomFactory: (info: RunningJobInfo) => {
        const room = new LocalRoom({ name: info.job.roomName });
        this.rooms.set(info.job.id, room);
        return room;
      },
    });
  }
  async start() {
    if (this.startFails) throw new Error('no executor');
    await this.inner.start();
  }
  launch(info: RunningJobInfo) {
    if (this.launchThrows) throw LAUNCH_THROWS;
    return this.inner.launch(info);
  }
  get activeJobs() {
    return this.inner.activeJobs;
  }
  async close(reason: string) {
    await this.closeHeld;
    await this.inner.close(reason);
    if (this.closeFails) throw new Error('stuck');
  }
}

class RealWorld {
  readonly clock = new ManualClock();
  load: Load = 'low';
  answer: Answer = 'accept';
  readonly executor: TestExecutor;
  readonly worker: Worker;
  run: Promise<void> | undefined;

  constructor(
    readonly livekit: FakeLiveKitServer,
    input: WorkerMachineInput,
  ) {
    const server = new AgentServer({
      loadFnc: () => {
        if (this.load === 'error') throw LOAD_ERROR;
        return this.load === 'low' ? LOW : HIGH;
      },
      requestFnc: (request) => {
        if (this.answer === 'accept') return request.accept();
        if (this.answer === 'reject') return request.reject();
        return new Promise<never>(() => {});
      },
    });
    server.rtcSession(async (ctx) => {
      await ctx.connect();
    });
    this.executor = new TestExecutor(server);
    this.worker = new Worker(server, {
      executor: this.executor,
      wsUrl: livekit.url,
      apiKey: KEY,
      apiSecret: SECRET,
      clock: this.clock,
      loadThreshold: input.loadThreshold,
      declineWhenFull: input.declineWhenFull,
      requestTimeout: input.requestTimeout,
      maxRetry: input.maxRetry,
      drainTimeout: input.drainTimeout,
      connectTimeout: input.connectTimeout,
    });
  }

  async perform(step: Step): Promise<void> {
    const { livekit } = this;
    const connectAs = (connect: Connect) => {
      livekit.refuseWith = connect === 'ok' || connect === 'hang' ? undefined : connect === 'auth' ? 401 : 503;
      livekit.holdUpgrades = connect === 'hang';
    };
    switch (step.type) {
      case 'run':
        connectAs(step.connect);
        this.run = this.worker.run();
        this.run.catch(() => {});
        return;
      case 'run.executorFails':
        this.executor.startFails = true;
        this.run = this.worker.run();
        this.run.catch(() => {});
        return;
      case 'backoff':
        connectAs(step.connect);
        return this.clock.fire(BACKOFF);
      case 'connectTimeout':
        return this.clock.fire(INPUT.connectTimeout);
      case 'register':
        this.load = step.load;
        livekit.register('AW');
        return;
      case 'tick':
        this.load = step.load;
        return this.clock.fire(INPUT.statusInterval);
      case 'offer':
        this.answer = step.answer;
        return livekit.offer({ id: 'J' });
      case 'requestTimeout':
        return this.clock.fire(INPUT.requestTimeout);
      case 'ping':
      case 'pingUnanswered':
        livekit.answerPings = step.type === 'ping';
        return this.clock.fire(INPUT.keepAliveInterval);
      case 'pongTimeout':
        return this.clock.fire(INPUT.pongTimeout);
      case 'assign':
        this.executor.launchThrows = step.executor === 'broken';
        return livekit.assign({ id: step.job });
      case 'terminate':
        return livekit.terminate(step.job);
      case 'registerAgain':
        livekit.register('AW2');
        return;
      case 'drop':
        return livekit.drop();
      case 'registerTimeout':
        return this.clock.fire(INPUT.registerTimeout);
      case 'assignmentTimeout':
        return this.clock.fire(INPUT.assignmentTimeout);
      case 'endJob':
        return this.executor.rooms.get('J')!.close('call ended');
      case 'drain':
        void this.worker.drain().catch(() => {});
        return;
      case 'drainTimeout':
        return this.clock.fire(INPUT.drainTimeout);
      case 'close': {
        this.executor.closeFails = step.how === 'fails';
        if (step.how !== 'dropped') {
          void this.worker.aclose();
          if (step.how === 'twice') void this.worker.aclose();
          return;
        }
        // The executor holds its close until LiveKit has dropped the socket of the closing worker.
        let release!: () => void;
        this.executor.closeHeld = new Promise((resolve) => (release = resolve));
        void this.worker.aclose();
        livekit.drop();
        await until(this.worker.actor, (snapshot) => snapshot.matches({ closing: 'offline' }));
        this.executor.closeHeld = undefined;
        release();
        return;
      }
    }
  }
}

const eventLabel = (event: EventObject) =>
  event.type.startsWith('xstate.after.') ? shortEventName(event.type) : `${shortEventName(event.type)}${'jobId' in event ? `(${String(event.jobId)})` : ''}`;

describe('worker machine: generated paths (xstate/graph) on the real Worker', () => {
  const generated = INPUTS.flatMap((input) => generatePaths(input));
  const paths = coveringPaths(generated);
  let tracker: CoverageTracker;
  let received: ReceivedEvents;
  let livekit: FakeLiveKitServer;

  beforeAll(async () => {
    tracker = new CoverageTracker(workerMachine);
    received = new ReceivedEvents();
    livekit = await FakeLiveKitServer.start({ apiKey: KEY, apiSecret: SECRET, autoRegister: false });
  });
  afterAll(async () => {
    console.log(`worker machine: ${generated.length} shortest paths (xstate/graph), ${paths.length} of them run (together they take every transition)\n${tracker.report()}`);
    tracker.stop();
    received.stop();
    await livekit.close();
  });

  paths.forEach((path, index) => {
    const name = `#${index + 1} maxRetry ${path.input.maxRetry}: ${path.steps.slice(1).map((s) => label(s.event)).join(' → ')} ⇒ ${JSON.stringify(path.state.value)}`;
    it(name, async () => {
      livekit.refuseWith = undefined;
      livekit.holdUpgrades = false;
      livekit.answerPings = true;
      const world = new RealWorld(livekit, path.input);
      received.take(world.worker.actor);
      /** Where this path's frames begin in what LiveKit received, and the job statuses waiting for a registration. */
      let cursor = livekit.received.length;
      const queued: Frame[] = [];
      /** Waits for the frames a step must have made the worker send, and checks them. */
      const sent = async (what: string, frames: Frame[]) => {
        await livekit.messages(cursor + frames.length);
        expect(livekit.received.slice(cursor, cursor + frames.length).map(frameOf), `${what}: the frames LiveKit received`).toEqual(frames);
        cursor += frames.length;
      };
      try {
        for (const [i, { event: step }] of path.steps.entries()) {
          if (i === 0) continue;
          const before = path.steps[i - 1]!.state;
          const expected = eventsOf(step, before);
          const model = applyAll(before, expected);
          const held = livekit.held;
          const pinged = livekit.pinged;
          await world.perform(step);
          const got = await eventsReceived(received, world.worker.actor, expected.length);
          expect(got.map(eventLabel), `${label(step)}: the events the worker received`).toEqual(expected.map(eventLabel));
          const real = world.worker.actor.getSnapshot();
          expect(real.value, `after ${label(step)}: the real actor against the statechart`).toEqual(model.value);
          expect(summary(real), `after ${label(step)}: the real context`).toEqual(summary(model));
          await sent(label(step), framesOf(step, before, model, queued));
          // A keep-alive step sends one WebSocket ping (a control frame, not a protocol message); no other step does.
          const pings = step.type === 'ping' || step.type === 'pingUnanswered' ? 1 : 0;
          await livekit.pings(pinged + pings);
          expect(livekit.pinged - pinged, `${label(step)}: the pings LiveKit received`).toBe(pings);
          // A connection the server holds is there before the next step gives up on it.
          if ('connect' in step && step.connect === 'hang') await livekit.holds(held + 1);
        }
        // Nothing else arrives by itself.
        expect(received.take(world.worker.actor).map(eventLabel)).toEqual([]);
        // Closing shuts the jobs down (reported if registered) and ends with a close handshake: every frame sent has arrived.
        const last = path.state;
        world.executor.closeFails = false;
        await world.worker.aclose();
        const closing = framesOf({ type: 'close', how: 'ok' }, last, last, queued);
        expect(livekit.received.slice(cursor).map(frameOf), 'the frames LiveKit received as the worker closed, and nothing else').toEqual(closing);
      } finally {
        world.executor.closeFails = false;
        await world.worker.aclose();
      }
    });
  });

  it('the generated paths take every state and transition of the worker machine', () => {
    const { states, transitions } = tracker.coverage();
    expect(states.missing).toEqual([]);
    expect(transitions.missing).toEqual([]);
    expect(states.covered).toBe(states.total);
    expect(transitions.covered).toBe(transitions.total);
  });
});

/**
 * The life of a LiveKit agent worker: its connection to the dispatcher and the jobs it takes.
 *
 * idle → starting → online → closing → closed, or failed when the connection is lost for good.
 *
 * - `starting` starts the executor (where jobs run): it begins warming its idle processes and the
 *   worker goes online at once, without waiting for them. `online` has two regions:
 *   - connection: connecting → registering → registered{status: sampling → available ⇄ full ∥
 *     keepAlive: waiting ⇄ awaitingPong}; a dropped socket, a connect or register deadline, a ping
 *     left unanswered for pongTimeout or a protocol violation goes to reconnecting (the first retry
 *     at once, then after 2, 4 … 10 s) and back to connecting, up to maxRetry times in a row; after
 *     that, or when the server refuses the credentials, the worker has failed. Running jobs are not
 *     touched by any of this: they keep running and their statuses are reported again after the
 *     next registration.
 *   - work: accepting → draining{waitingForJobs → (drainTimeout) shuttingDownJobs} → drained.
 * - Registered, the load is sampled every statusInterval and the worker reports its status each
 *   time: `full` at loadThreshold or above and whenever it is not accepting jobs (draining, drained;
 *   a drain reports it at once), else `available`. LiveKit routes offers by it. A WebSocket ping goes
 *   out every keepAliveInterval, as LiveKit's Python worker does.
 * - A job LiveKit offers is declined at once when the worker is draining (or, with
 *   declineWhenFull, when its last load sample is at the threshold); otherwise it is offered to
 *   the program (requestFnc) by an `offerJob` actor spawned for it, which has requestTimeout to
 *   answer (one delayed event per offer): LiveKit gives up on a worker that does not answer, so an
 *   offer left unanswered is declined in time for LiveKit to try another worker. An accepted job
 *   waits for its JobAssignment up to assignmentTimeout (one delayed event per job), then is
 *   dropped. Assigned, the job becomes a child actor (`job.<id>`, machines/assigned_job.ts): it
 *   launches the job, reports it, takes its shutdown orders (LiveKit's termination, the drain's
 *   timeout); its done (or error) event ends it here, and the job is counted until then. No work
 *   starts inside an action.
 * - `close` from anywhere goes to closing, where the implementation shuts the jobs down and closes
 *   the socket; a worker registered when the close came stays so (`closing.registered`) until its
 *   socket closes, so that LiveKit hears how the jobs ended.
 */
import {
  assign,
  cancel,
  emit,
  enqueueActions,
  fromPromise,
  not,
  sendTo,
  setup,
  stateIn,
  stopChild,
  type ActorRefFrom,
  type DoneActorEvent,
  type ErrorActorEvent,
} from 'xstate';
import { assignedJobMachine, type JobOrder, type SealedAssignment } from './assigned_job.js';

/** The job as LiveKit offered it: plain data (no token), see src/worker/running_job.ts. */
export interface OfferedJob {
  id: string;
  dispatchId: string;
  type: 'room' | 'publisher' | 'participant';
  roomName: string;
  roomSid: string;
  metadata: string;
  agentName: string;
  participantIdentity: string | undefined;
  attributes: Record<string, string>;
}

/** Who the agent is in the room, as the worker answered when it accepted. */
export interface AcceptedAs {
  identity: string;
  name: string;
  metadata: string;
  attributes: Record<string, string>;
}

/** An accepted job waiting for its JobAssignment. */
export interface PendingJob {
  job: OfferedJob;
  acceptArguments: AcceptedAs;
}

/** One word for where the worker is, as status and events report it. */
export type WorkerState =
  | 'idle'
  | 'starting'
  | 'connecting'
  | 'registering'
  | 'available'
  | 'full'
  | 'reconnecting'
  | 'draining'
  | 'drained'
  | 'failed'
  | 'closing'
  | 'closed';

export interface WorkerMachineInput {
  loadThreshold: number;
  /** Decline offers while the load is at the threshold, rather than leave routing to LiveKit (which is told the worker is full). */
  declineWhenFull: boolean;
  maxRetry: number;
  /** ms */
  drainTimeout: number;
  statusInterval: number;
  assignmentTimeout: number;
  /** How long the program (requestFnc) has to answer an offer before it is declined. */
  requestTimeout: number;
  /** How often a registered worker pings LiveKit over the socket. */
  keepAliveInterval: number;
  /** How long a ping may go unanswered before the connection is given up as dead. */
  pongTimeout: number;
  /** Bound of opening the socket (TCP, TLS and the upgrade). */
  connectTimeout: number;
  registerTimeout: number;
}

/** What an `offerJob` actor is started with. */
export interface OfferJobInput {
  job: OfferedJob;
  /** LiveKit offers again a job whose worker went away (AvailabilityRequest.resuming). */
  resuming: boolean;
}

/** The status the worker reports to LiveKit (WorkerStatus WS_AVAILABLE / WS_FULL). */
export type ReportedStatus = 'available' | 'full';

/** The id of the delayed event that bounds the program's answer to the offer of job `jobId`. */
const answerTimerId = (jobId: string) => `answer:${jobId}`;

/** The id of the delayed event that bounds the wait for the assignment of accepted job `jobId`. */
const assignmentTimerId = (jobId: string) => `assignment:${jobId}`;

/** The id of the actor of assigned job `jobId`. */
const jobActorId = (jobId: string) => `job.${jobId}`;

/** The job an assigned job's actor runs, from the actor's id. */
const assignedJobId = (actorId: string) => actorId.slice(jobActorId('').length);

/** The id of the actor asking the program about offered job `jobId`. */
const offerActorId = (jobId: string) => `offer.${jobId}`;

/** The job an offer actor asks about, from the actor's id. */
const offeredJobId = (actorId: string) => actorId.slice(offerActorId('').length);

/** Something that went wrong; the implementation turns it into a typed error event. */
export type WorkerProblem =
  | { kind: 'connection'; error: unknown; willRetry: boolean }
  | { kind: 'connect_timeout'; timeoutMs: number; willRetry: boolean }
  | { kind: 'pong_timeout'; timeoutMs: number; willRetry: boolean }
  | { kind: 'register_timeout'; timeoutMs: number }
  | { kind: 'protocol'; detail: string }
  | { kind: 'assignment_timeout'; jobId: string; timeoutMs: number }
  | { kind: 'request_timeout'; jobId: string; timeoutMs: number }
  | { kind: 'unexpected_assignment'; jobId: string }
  | { kind: 'load'; error: unknown }
  | { kind: 'executor'; error: unknown }
  | { kind: 'close'; error: unknown };

/** An assigned job's actor. */
export type AssignedJobActor = ActorRefFrom<typeof assignedJobMachine>;

/** The offerJob actor of an offer the program is asked about. */
export type OfferActor = ActorRefFrom<ReturnType<typeof fromPromise<void, OfferJobInput>>>;

export interface WorkerMachineContext extends WorkerMachineInput {
  workerId: string | undefined;
  /** The last load sample, 0..1. */
  load: number;
  /** Failed connection attempts since the last registration. */
  retries: number;
  /** Offers the program is asked about, by job id. */
  offers: Record<string, OfferActor>;
  /** Accepted jobs waiting for their assignment, by job id. */
  pending: Record<string, PendingJob>;
  /** Assigned jobs not ended yet (launching, running or shutting down), by job id. */
  jobs: Record<string, AssignedJobActor>;
  /** Why the worker failed. */
  failure: WorkerProblem | undefined;
}

export type WorkerMachineEvent =
  | { type: 'run' }
  | { type: 'close' }
  | { type: 'drain'; timeoutMs?: number }
  /** The socket is gone (closed by the server, the network, or an error). */
  | { type: 'socket.closed'; error: unknown }
  | { type: 'server.registered'; workerId: string }
  | ({ type: 'server.availability' } & OfferJobInput)
  /** The socket's answer to a keep-alive ping. */
  | { type: 'socket.pong' }
  | { type: 'server.assignment'; jobId: string; assignment: SealedAssignment }
  | { type: 'server.termination'; jobId: string }
  /** The program accepted an offered job; the answer has been sent. */
  | { type: 'job.accepted'; pending: PendingJob }
  /** The program rejected an offered job (or failed to answer it); the answer has been sent. */
  | { type: 'job.rejected'; jobId: string }
  /** The program took longer than requestTimeout to answer an offer. */
  | { type: 'offer.timeout'; jobId: string }
  | { type: 'assignment.timeout'; jobId: string }
  | DoneActorEvent<number, 'sampleLoad'>
  | DoneActorEvent
  | ErrorActorEvent;

export type WorkerMachineEmitted =
  | { type: 'registered'; workerId: string }
  | { type: 'problem'; problem: WorkerProblem };

type WorkerDelay =
  | 'statusInterval'
  | 'assignmentTimeout'
  | 'requestTimeout'
  | 'keepAliveInterval'
  | 'pongTimeout'
  | 'connectTimeout'
  | 'registerTimeout'
  | 'drainTimeout'
  | 'backoff';

/** The function an enqueueActions of this machine takes, with `TParams`. */
type Enqueued<TParams extends Record<string, unknown>> = Parameters<
  typeof enqueueActions<WorkerMachineContext, WorkerMachineEvent, TParams, WorkerMachineEvent, never, never, never, WorkerDelay, WorkerMachineEmitted>
>[0];

const AUTH_REFUSED = 'worker_auth_refused';

export const workerMachine = setup({
  types: {
    input: {} as WorkerMachineInput,
    context: {} as WorkerMachineContext,
    events: {} as WorkerMachineEvent,
    emitted: {} as WorkerMachineEmitted,
  },
  actors: {
    // src/worker provides these; here each one finishes at once.
    startExecutor: fromPromiseStub<void>(),
    /** Opens the socket (authenticated); rejects with code worker_auth_refused when refused. */
    connect: fromPromiseStub<void>(),
    sampleLoad: fromPromiseStub<number>(0),
    /** Shuts the running jobs down, stops the executor, closes the socket. */
    shutDown: fromPromiseStub<void>(),
    /**
     * Asks the program (requestFnc) about an offered job; its answer comes back as job.accepted or
     * job.rejected. Stopped, it sends no answer any more. Never fails.
     */
    offerJob: fromPromise<void, OfferJobInput>(async () => {}),
    assignedJob: assignedJobMachine,
  },
  delays: {
    statusInterval: ({ context }) => context.statusInterval,
    assignmentTimeout: ({ context }) => context.assignmentTimeout,
    requestTimeout: ({ context }) => context.requestTimeout,
    keepAliveInterval: ({ context }) => context.keepAliveInterval,
    pongTimeout: ({ context }) => context.pongTimeout,
    connectTimeout: ({ context }) => context.connectTimeout,
    registerTimeout: ({ context }) => context.registerTimeout,
    drainTimeout: ({ context }) => context.drainTimeout,
    // The retry count was raised on the way in: the first retry is immediate, then 2 s, 4 s … 10 s.
    backoff: ({ context }) => Math.min(2 * (context.retries - 1), 10) * 1000,
  },
  guards: {
    authRefused: (_, { error }: { error: unknown }) => typeof error === 'object' && error !== null && 'code' in error && error.code === AUTH_REFUSED,
    retriesLeft: ({ context }) => context.retries < context.maxRetry,
    atThreshold: ({ context }, { load }: { load: number }) => load >= context.loadThreshold,
    /** Taking jobs, rather than draining or drained. */
    accepting: stateIn('#worker.online.work.accepting'),
    registered: stateIn('#worker.online.connection.registered'),
    declinesWhenFull: ({ context }) => context.declineWhenFull && context.load >= context.loadThreshold,
    awaitingAssignment: ({ context }, { jobId }: { jobId: string }) => Object.hasOwn(context.pending, jobId),
    runsJob: ({ context }, { jobId }: { jobId: string }) => Object.hasOwn(context.jobs, jobId),
    noJobs: ({ context }) => Object.keys(context.jobs).length === 0 && Object.keys(context.pending).length === 0,
  },
  actions: {
    // src/worker provides these (I/O on the socket and the executor).
    sendRegister: () => {},
    reportStatus: (_, _params: { status: ReportedStatus }) => {},
    /** A WebSocket ping on the socket (LiveKit answers it with a pong: socket.pong). */
    sendPing: () => {},
    /** Reports again the status of every job running, and the job statuses made while offline. */
    resumeJobs: () => {},
    /** Answers available=false (without terminating the dispatch: LiveKit may try another worker); `reason` is for the log. */
    declineJob: (_, _params: { jobId: string; reason: string }) => {},
    /** The server assigned a job this worker is not waiting for: reported to it as failed. */
    refuseAssignment: (_, _params: { jobId: string }) => {},
    /** Closes the current socket; its own close is not reported any more. */
    dropConnection: () => {},
    /** A termination of a job this worker does not run (any more): nothing to shut down, worth a debug line. */
    ignoreTermination: (_, _params: { jobId: string }) => {},
    /** An assigned job's actor failed: the job is reported failed, and the error. */
    reportJobFailed: (_, _params: { jobId: string; error: unknown }) => {},

    offerJob: assign(({ context, spawn }, offer: OfferJobInput) => ({
      offers: { ...context.offers, [offer.job.id]: spawn('offerJob', { id: offerActorId(offer.job.id), input: offer }) },
    })),
    /** Stops asking the program: its answer, should it still come, is refused. */
    stopOffer: stopChild((_, { jobId }: { jobId: string }) => offerActorId(jobId)),
    forgetOffer: assign(({ context }, { jobId }: { jobId: string }) => ({ offers: without(context.offers, jobId) })),
    // One delayed event per offer, cancelled by the program's answer.
    awaitAnswer: enqueueActions((({ enqueue }, { jobId }) =>
      enqueue.raise({ type: 'offer.timeout', jobId }, { delay: 'requestTimeout', id: answerTimerId(jobId) })) satisfies Enqueued<{ jobId: string }>),
    stopAwaitingAnswer: cancel((_, { jobId }: { jobId: string }) => answerTimerId(jobId)),
    // One delayed event per accepted job, cancelled by its assignment.
    awaitAssignment: enqueueActions((({ enqueue }, { jobId }) =>
      enqueue.raise({ type: 'assignment.timeout', jobId }, { delay: 'assignmentTimeout', id: assignmentTimerId(jobId) })) satisfies Enqueued<{ jobId: string }>),
    stopAwaitingAssignment: cancel((_, { jobId }: { jobId: string }) => assignmentTimerId(jobId)),
    recordPending: assign(({ context }, pending: PendingJob) => ({ pending: { ...context.pending, [pending.job.id]: pending } })),
    forgetPending: assign(({ context }, { jobId }: { jobId: string }) => ({ pending: without(context.pending, jobId) })),
    launchJob: assign(({ context, spawn }, { jobId, assignment }: { jobId: string; assignment: SealedAssignment }) => ({
      jobs: {
        ...context.jobs,
        [jobId]: spawn('assignedJob', {
          id: jobActorId(jobId),
          input: { jobId, pending: context.pending[jobId]!, assignment, workerId: context.workerId ?? '' },
        }),
      },
    })),
    terminateJob: sendTo((_, { jobId }: { jobId: string }) => jobActorId(jobId), {
      type: 'shutdown',
      reason: 'job terminated by LiveKit',
    } satisfies JobOrder),
    shutDownJobs: enqueueActions((({ context, enqueue }) => {
      for (const job of Object.values(context.jobs)) enqueue.sendTo(job, { type: 'shutdown', reason: 'worker draining' } satisfies JobOrder);
    }) satisfies Enqueued<Record<string, never>>),
    forgetJob: assign(({ context }, { jobId }: { jobId: string }) => ({ jobs: without(context.jobs, jobId) })),

    recordRegistration: assign((_, { workerId }: { workerId: string }) => ({ workerId, retries: 0 })),
    announceRegistered: emit((_, { workerId }: { workerId: string }) => ({ type: 'registered' as const, workerId })),
    countRetry: assign(({ context }) => ({ retries: context.retries + 1 })),
    recordLoad: assign((_, { load }: { load: number }) => ({ load })),
    recordDrainTimeout: assign(({ context }, { timeoutMs }: { timeoutMs: number | undefined }) => ({ drainTimeout: timeoutMs ?? context.drainTimeout })),
    recordFailure: assign((_, problem: WorkerProblem) => ({ failure: problem })),
    reportProblem: emit((_, problem: WorkerProblem) => ({ type: 'problem' as const, problem })),
  },
}).createMachine({
  id: 'worker',
  context: ({ input }) => ({
    ...input,
    workerId: undefined,
    load: 0,
    retries: 0,
    offers: {},
    pending: {},
    jobs: {},
    failure: undefined,
  }),
  initial: 'idle',
  on: {
    // Jobs end whenever they end, whatever the worker is doing; so do the program's answers to offers.
    'xstate.done.actor.job.*': { actions: { type: 'forgetJob', params: ({ event }) => ({ jobId: assignedJobId(event.actorId) }) } },
    'xstate.error.actor.job.*': {
      actions: [
        { type: 'forgetJob', params: ({ event }) => ({ jobId: assignedJobId(event.actorId) }) },
        { type: 'reportJobFailed', params: ({ event }) => ({ jobId: assignedJobId(event.actorId), error: event.error }) },
      ],
    },
    'xstate.done.actor.offer.*': {
      actions: [
        { type: 'forgetOffer', params: ({ event }) => ({ jobId: offeredJobId(event.actorId) }) },
        { type: 'stopAwaitingAnswer', params: ({ event }) => ({ jobId: offeredJobId(event.actorId) }) },
      ],
    },
    close: [{ guard: 'registered', target: '.closing.registered' }, { target: '.closing' }],
  },
  states: {
    idle: {
      on: { run: 'starting', close: 'closed' },
    },
    starting: {
      invoke: {
        id: 'startExecutor',
        src: 'startExecutor',
        onDone: 'online',
        onError: {
          target: 'failed',
          actions: [
            { type: 'recordFailure', params: ({ event }) => ({ kind: 'executor', error: event.error }) },
            { type: 'reportProblem', params: ({ event }) => ({ kind: 'executor', error: event.error }) },
          ],
        },
      },
    },
    online: {
      type: 'parallel',
      states: {
        connection: {
          initial: 'connecting',
          states: {
            connecting: {
              // The connect actor is stopped on the way out: its signal cancels the attempt.
              after: {
                connectTimeout: retryOrFail(({ context }) => ({ kind: 'connect_timeout', timeoutMs: context.connectTimeout, willRetry: true })),
              },
              invoke: {
                id: 'connect',
                src: 'connect',
                onDone: 'registering',
                onError: [
                  {
                    guard: { type: 'authRefused', params: ({ event }) => ({ error: event.error }) },
                    target: '#worker.failed',
                    actions: [
                      { type: 'recordFailure', params: ({ event }) => ({ kind: 'connection', error: event.error, willRetry: false }) },
                      { type: 'reportProblem', params: ({ event }) => ({ kind: 'connection', error: event.error, willRetry: false }) },
                    ],
                  },
                  ...retryOrFail(({ event }) => ({ kind: 'connection', error: errorOf(event), willRetry: true })),
                ],
              },
            },
            registering: {
              entry: 'sendRegister',
              after: {
                registerTimeout: retryOrFail(({ context }) => ({ kind: 'register_timeout', timeoutMs: context.registerTimeout })),
              },
              on: {
                'server.registered': {
                  target: 'registered',
                  actions: [
                    { type: 'recordRegistration', params: ({ event }) => ({ workerId: event.workerId }) },
                    { type: 'announceRegistered', params: ({ event }) => ({ workerId: event.workerId }) },
                    'resumeJobs',
                  ],
                },
                // LiveKit answers the registration first; anything else first is a protocol violation.
                'server.availability': retryOrFail({ kind: 'protocol', detail: 'an availability request came before the registration was answered' }),
                'server.assignment': retryOrFail({ kind: 'protocol', detail: 'a job assignment came before the registration was answered' }),
                'server.termination': retryOrFail({ kind: 'protocol', detail: 'a job termination came before the registration was answered' }),
                'socket.closed': retryOrFail(({ event }) => ({ kind: 'connection', error: errorOf(event), willRetry: true })),
              },
            },
            registered: {
              type: 'parallel',
              on: {
                'socket.closed': retryOrFail(({ event }) => ({ kind: 'connection', error: errorOf(event), willRetry: true })),
                'server.registered': {
                  actions: { type: 'reportProblem', params: { kind: 'protocol', detail: 'a second registration answer was ignored' } },
                },
                'server.availability': [
                  { guard: not('accepting'), actions: { type: 'declineJob', params: ({ event }) => ({ jobId: event.job.id, reason: 'the worker is draining' }) } },
                  { guard: 'declinesWhenFull', actions: { type: 'declineJob', params: ({ event }) => ({ jobId: event.job.id, reason: 'the worker is full' }) } },
                  {
                    actions: [
                      { type: 'offerJob', params: ({ event }) => ({ job: event.job, resuming: event.resuming }) },
                      { type: 'awaitAnswer', params: ({ event }) => ({ jobId: event.job.id }) },
                    ],
                  },
                ],
                'job.accepted': {
                  actions: [
                    { type: 'stopAwaitingAnswer', params: ({ event }) => ({ jobId: event.pending.job.id }) },
                    { type: 'recordPending', params: ({ event }) => event.pending },
                    { type: 'awaitAssignment', params: ({ event }) => ({ jobId: event.pending.job.id }) },
                  ],
                },
                'server.assignment': [
                  {
                    guard: { type: 'awaitingAssignment', params: ({ event }) => ({ jobId: event.jobId }) },
                    actions: [
                      { type: 'launchJob', params: ({ event }) => ({ jobId: event.jobId, assignment: event.assignment }) },
                      { type: 'stopAwaitingAssignment', params: ({ event }) => ({ jobId: event.jobId }) },
                      { type: 'forgetPending', params: ({ event }) => ({ jobId: event.jobId }) },
                    ],
                  },
                  {
                    actions: [
                      { type: 'refuseAssignment', params: ({ event }) => ({ jobId: event.jobId }) },
                      { type: 'reportProblem', params: ({ event }) => ({ kind: 'unexpected_assignment', jobId: event.jobId }) },
                    ],
                  },
                ],
                'server.termination': [
                  { guard: { type: 'runsJob', params: ({ event }) => ({ jobId: event.jobId }) }, actions: { type: 'terminateJob', params: ({ event }) => ({ jobId: event.jobId }) } },
                  { actions: { type: 'ignoreTermination', params: ({ event }) => ({ jobId: event.jobId }) } },
                ],
              },
              states: {
                // What the worker tells LiveKit of itself, from its load and whether it takes jobs.
                status: {
                  initial: 'sampling',
                  states: {
                    sampling: {
                      invoke: {
                        id: 'sampleLoad',
                        src: 'sampleLoad',
                        onDone: [
                          { guard: not('accepting'), target: 'full', actions: { type: 'recordLoad', params: ({ event }) => ({ load: event.output }) } },
                          {
                            guard: { type: 'atThreshold', params: ({ event }) => ({ load: event.output }) },
                            target: 'full',
                            actions: { type: 'recordLoad', params: ({ event }) => ({ load: event.output }) },
                          },
                          { target: 'available', actions: { type: 'recordLoad', params: ({ event }) => ({ load: event.output }) } },
                        ],
                        // The last load is kept.
                        onError: [
                          { guard: not('accepting'), target: 'full', actions: { type: 'reportProblem', params: ({ event }) => ({ kind: 'load', error: event.error }) } },
                          {
                            guard: { type: 'atThreshold', params: ({ context }) => ({ load: context.load }) },
                            target: 'full',
                            actions: { type: 'reportProblem', params: ({ event }) => ({ kind: 'load', error: event.error }) },
                          },
                          { target: 'available', actions: { type: 'reportProblem', params: ({ event }) => ({ kind: 'load', error: event.error }) } },
                        ],
                      },
                    },
                    available: {
                      entry: { type: 'reportStatus', params: { status: 'available' } },
                      after: { statusInterval: 'sampling' },
                      // Draining, the worker is full at once (the work region takes the drain too).
                      on: { drain: 'full' },
                    },
                    full: {
                      entry: { type: 'reportStatus', params: { status: 'full' } },
                      after: { statusInterval: 'sampling' },
                    },
                  },
                },
                // A connection that went dead without a close (a vanished peer, a NAT that forgot it) is noticed.
                keepAlive: {
                  initial: 'waiting',
                  states: {
                    waiting: {
                      after: { keepAliveInterval: 'awaitingPong' },
                    },
                    awaitingPong: {
                      entry: 'sendPing',
                      on: { 'socket.pong': 'waiting' },
                      after: {
                        pongTimeout: retryOrFail(({ context }) => ({ kind: 'pong_timeout', timeoutMs: context.pongTimeout, willRetry: true })),
                      },
                    },
                  },
                },
              },
            },
            reconnecting: {
              after: { backoff: 'connecting' },
            },
          },
        },
        work: {
          initial: 'accepting',
          on: {
            // Offers and accepted jobs settle whatever the connection does: answered, assigned, or given up on.
            'job.rejected': { actions: { type: 'stopAwaitingAnswer', params: ({ event }) => ({ jobId: event.jobId }) } },
            'offer.timeout': {
              actions: [
                { type: 'stopOffer', params: ({ event }) => ({ jobId: event.jobId }) },
                { type: 'forgetOffer', params: ({ event }) => ({ jobId: event.jobId }) },
                { type: 'declineJob', params: ({ event }) => ({ jobId: event.jobId, reason: 'requestFnc did not answer in time' }) },
                { type: 'reportProblem', params: ({ context, event }) => ({ kind: 'request_timeout', jobId: event.jobId, timeoutMs: context.requestTimeout }) },
              ],
            },
            'assignment.timeout': {
              guard: { type: 'awaitingAssignment', params: ({ event }) => ({ jobId: event.jobId }) },
              actions: [
                { type: 'forgetPending', params: ({ event }) => ({ jobId: event.jobId }) },
                { type: 'reportProblem', params: ({ context, event }) => ({ kind: 'assignment_timeout', jobId: event.jobId, timeoutMs: context.assignmentTimeout }) },
              ],
            },
          },
          states: {
            accepting: {
              on: { drain: { target: 'draining', actions: { type: 'recordDrainTimeout', params: ({ event }) => ({ timeoutMs: event.timeoutMs }) } } },
            },
            draining: {
              initial: 'waitingForJobs',
              states: {
                waitingForJobs: {
                  always: { guard: 'noJobs', target: '#worker.online.work.drained' },
                  after: { drainTimeout: 'shuttingDownJobs' },
                },
                shuttingDownJobs: {
                  entry: 'shutDownJobs',
                  always: { guard: 'noJobs', target: '#worker.online.work.drained' },
                },
              },
            },
            drained: {},
          },
        },
      },
    },
    failed: {},
    closing: {
      invoke: {
        id: 'shutDown',
        src: 'shutDown',
        onDone: 'closed',
        onError: {
          target: 'closed',
          actions: { type: 'reportProblem', params: ({ event }) => ({ kind: 'close', error: event.error }) },
        },
      },
      on: { close: {} },
      initial: 'offline',
      states: {
        offline: {},
        // Registered when the close came: the jobs' last statuses still reach LiveKit, until the socket closes.
        registered: { on: { 'socket.closed': 'offline' } },
      },
    },
    closed: { type: 'final' },
  },
});

/** `record` without the entry of `key`. */
function without<T>(record: Record<string, T>, key: string): Record<string, T> {
  const { [key]: _, ...rest } = record;
  return rest;
}

/** The error a failed connection attempt or a closed socket carries. */
function errorOf(event: WorkerMachineEvent): unknown {
  return 'error' in event ? event.error : undefined;
}

type Problem = WorkerProblem | ((args: { context: WorkerMachineContext; event: WorkerMachineEvent }) => WorkerProblem);

/**
 * The connection is lost (`problem` says how): the socket is dropped, and the worker tries again
 * while retries are left, else it has failed.
 */
function retryOrFail(problem: Problem) {
  const described = (willRetry: boolean) => (args: { context: WorkerMachineContext; event: WorkerMachineEvent }) => {
    const p = typeof problem === 'function' ? problem(args) : problem;
    return 'willRetry' in p ? { ...p, willRetry } : p;
  };
  return [
    {
      guard: 'retriesLeft' as const,
      target: '#worker.online.connection.reconnecting',
      actions: ['dropConnection' as const, 'countRetry' as const, { type: 'reportProblem' as const, params: described(true) }],
    },
    {
      target: '#worker.failed',
      actions: [
        'dropConnection' as const,
        { type: 'recordFailure' as const, params: described(false) },
        { type: 'reportProblem' as const, params: described(false) },
      ],
    },
  ];
}

/** An actor that finishes at once with `output`: the machine's stand-in until src provides it. */
function fromPromiseStub<T>(output?: T) {
  return fromPromise<T>(async () => output as T);
}

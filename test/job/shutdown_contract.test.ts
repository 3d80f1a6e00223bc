/**
 * The shutdown contract, line by line as the README states it.
 */
import { describe, expect, it, vi } from 'vitest';
import {
  Agent,
  AgentSession,
  ClosedError,
  EntrypointError,
  Job,
  JobProcess,
  LocalRoom,
  type LocalRoomMember,
  ShutdownCallbackError,
  TimeoutError,
  jobInfo,
  type JobContext,
  type JobTimeouts,
} from '../../src/index.js';
import { ScriptedLLM } from '../support/scripted_llm.js';
import { ScriptedOutput } from '../support/scripted_output.js';
import { flush, useFakeTime } from '../support/fake_time.js';

class RecordingAgent extends Agent {
  exits = 0;
  constructor(
    private readonly timeline: string[],
    private readonly goodbye = false,
  ) {
    super({ instructions: 'test agent' });
  }
  override async onExit(): Promise<void> {
    this.exits += 1;
    this.timeline.push('agent onExit');
    if (this.goodbye) await this.session.say('Goodbye!');
  }
}

interface Harness {
  job: Job;
  room: LocalRoom;
  /** The standard participant in the room when the job starts, if any. */
  user: LocalRoomMember | undefined;
  timeline: string[];
  session: () => AgentSession;
  agent: () => RecordingAgent;
}

function harness(options: {
  entrypoint?: (ctx: JobContext, h: { timeline: string[] }) => Promise<void>;
  timeouts?: Partial<JobTimeouts>;
  goodbye?: boolean;
  /** Nobody in the room when the job starts. */
  empty?: boolean;
} = {}): Harness {
  const timeline: string[] = [];
  const room = new LocalRoom({ name: 'contract' });
  const user = options.empty ? undefined : room.join({ identity: 'user' });
  room.on('disconnected', () => timeline.push('room disconnected'));
  let session: AgentSession | undefined;
  let agent: RecordingAgent | undefined;
  const entrypoint =
    options.entrypoint ??
    (async (ctx: JobContext) => {
      agent = new RecordingAgent(timeline, options.goodbye);
      session = new AgentSession({ llm: new ScriptedLLM() });
      session.output = new ScriptedOutput();
      session.on('close', (event) => timeline.push(`session close (${event.reason})`));
      session.on('conversation_item_added', (event) => {
        if (event.item.type === 'message') timeline.push(`item ${event.item.role}: ${event.item.content}`);
      });
      await session.start({ agent, room: ctx.room });
      ctx.signal.addEventListener('abort', () => timeline.push('signal aborted'));
    });
  const job = new Job({
    info: jobInfo({ id: 'job-1', roomName: room.name }),
    room,
    proc: new JobProcess(),
    entrypoint: (ctx) => entrypoint(ctx, { timeline }),
    timeouts: { entrypointGrace: 1_000, sessionCloseTimeout: 2_000, shutdownProcessTimeout: 3_000, roomDisconnectTimeout: 500, ...options.timeouts },
  });
  job.ctx.on('state_changed', (event) => timeline.push(`job ${event.newState}`));
  return { job, room, user, timeline, session: () => session!, agent: () => agent! };
}

useFakeTime();

describe('triggers', () => {
  it('ctx.shutdown(reason) shuts the job down with that reason', async () => {
    const h = harness();
    h.job.start();
    await flush();
    h.job.ctx.shutdown('all done');
    await flush();
    expect((await h.job.result).reason).toBe('all done');
  });

  it('a room disconnect shuts the job down', async () => {
    const h = harness();
    h.job.start();
    await flush();
    h.room.close('room deleted');
    await flush();
    const result = await h.job.result;
    expect(result.reason).toBe('room disconnected');
    expect(result.status).toBe('success');
  });

  it('a request from the worker shuts the job down', async () => {
    const h = harness();
    h.job.start();
    await flush();
    h.job.requestShutdown('worker draining');
    await flush();
    expect((await h.job.result).reason).toBe('worker draining');
  });

  it('the last standard or SIP participant leaving shuts the job down ("all participants left"); the session closing does not', async () => {
    const h = harness();
    h.job.start();
    await flush();
    const caller = h.room.join({ identity: 'caller', kind: 'sip' });
    await h.session().aclose();
    await flush();
    expect(h.job.state).toBe('running');
    h.user!.leave();
    await flush();
    expect(h.job.state).toBe('running');
    caller.leave();
    await flush();
    expect(await h.job.result).toMatchObject({ status: 'success', reason: 'all participants left' });
  });

  it('a room nobody has joined waits for a participant, however long; agents and egress do not count', async () => {
    const h = harness({ empty: true });
    h.job.start();
    await flush();
    await vi.advanceTimersByTimeAsync(3_600_000);
    h.room.join({ identity: 'other-agent', kind: 'agent' }).leave();
    h.room.join({ identity: 'recorder', kind: 'egress' });
    await flush();
    expect(h.job.state).toBe('running');
    const user = h.room.join({ identity: 'late-user' });
    await flush();
    user.leave();
    await flush();
    expect(await h.job.result).toMatchObject({ status: 'success', reason: 'all participants left' });
  });

  it('the entrypoint throwing shuts the job down as crashed, failed, with the error', async () => {
    const h = harness({
      entrypoint: async () => {
        throw new Error('boom');
      },
    });
    const errors: unknown[] = [];
    h.job.ctx.on('error', (event) => errors.push(event.error));
    h.job.start();
    await flush();
    const result = await h.job.result;
    expect(result.reason).toBe('job crashed');
    expect(result.status).toBe('failed');
    expect(result.error).toBeInstanceOf(EntrypointError);
    expect(result.error?.message).toContain('boom');
    expect(errors).toContainEqual(result.error);
  });

  it('the first reason wins; later ones are ignored', async () => {
    const h = harness();
    h.job.start();
    await flush();
    h.job.ctx.shutdown('first');
    h.job.requestShutdown('second');
    h.room.close();
    h.job.ctx.shutdown('third');
    await flush();
    expect((await h.job.result).reason).toBe('first');
  });
});

describe('order', () => {
  it('signal → entrypoint → session drained and closed (onExit once) → callbacks → room disconnect → done', async () => {
    const h = harness({ goodbye: true });
    h.job.ctx.addShutdownCallback(async (reason) => {
      h.timeline.push(`callback (${reason})`);
    });
    h.job.start();
    await flush();
    h.timeline.length = 0;
    h.job.ctx.shutdown('bye');
    // onExit says goodbye and waits for it to be heard; let it play.
    await flush();
    await (h.session().output as ScriptedOutput).finish();
    await flush();
    const result = await h.job.result;
    expect(result).toMatchObject({ status: 'success', reason: 'bye', errors: [] });
    // A state change is told once the step into the state is over: what the state started without
    // waiting (the callbacks' first lines, the room's disconnect) comes before it.
    expect(h.timeline).toEqual([
      'signal aborted',
      'job shuttingDown.awaitingEntrypoint',
      'job shuttingDown.closingSession',
      'agent onExit',
      'item assistant: Goodbye!',
      'session close (job_shutdown)',
      'callback (bye)',
      'job shuttingDown.runningCallbacks',
      'room disconnected',
      'job shuttingDown.disconnectingRoom',
      'job done',
    ]);
    expect(h.agent().exits).toBe(1);
  });

  it('the entrypoint is awaited: the job waits for it to return', async () => {
    let finish!: () => void;
    const h = harness({
      entrypoint: async (_ctx, { timeline }) => {
        await new Promise<void>((resolve) => (finish = resolve));
        timeline.push('entrypoint returned');
      },
    });
    h.job.start();
    await flush();
    h.job.ctx.shutdown('bye');
    await vi.advanceTimersByTimeAsync(500);
    expect(h.job.state).toBe('shuttingDown.awaitingEntrypoint');
    finish();
    await flush();
    expect((await h.job.result).status).toBe('success');
    expect(h.timeline.indexOf('entrypoint returned')).toBeLessThan(h.timeline.indexOf('job shuttingDown.closingSession'));
  });

  it('an entrypoint still running after the grace period is cancelled and reported', async () => {
    const h = harness({
      entrypoint: () => new Promise<void>(() => {}),
      timeouts: { entrypointGrace: 1_000 },
    });
    h.job.start();
    await flush();
    h.job.ctx.shutdown('bye');
    await flush();
    await vi.advanceTimersByTimeAsync(999);
    expect(h.job.state).toBe('shuttingDown.awaitingEntrypoint');
    await vi.advanceTimersByTimeAsync(1);
    const result = await h.job.result;
    expect(result.status).toBe('failed');
    expect(result.error).toBeInstanceOf(TimeoutError);
    expect(result.error?.message).toContain('entrypoint');
  });

  it('closing the session is bounded by sessionCloseTimeout', async () => {
    const h = harness({ timeouts: { sessionCloseTimeout: 2_000 } });
    h.job.start();
    await flush();
    // onExit never finishes; the agent's own bound is longer than the job's.
    h.agent().onExit = () => new Promise<void>(() => {});
    h.job.ctx.shutdown('bye');
    await vi.advanceTimersByTimeAsync(2_000);
    const result = await h.job.result;
    expect(result.errors.map((error) => error.message)).toEqual([expect.stringContaining('session close')]);
    expect(h.timeline).toContain('room disconnected');
  });

  it('callbacks run concurrently, each with the reason; one throwing or hanging neither stops nor cuts off the others', async () => {
    const h = harness({ timeouts: { shutdownProcessTimeout: 3_000 } });
    const calls: string[] = [];
    h.job.ctx.addShutdownCallback(async function hangs(reason) {
      calls.push(`hangs started (${reason})`);
      await new Promise(() => {});
    });
    h.job.ctx.addShutdownCallback(function throws(reason) {
      calls.push(`throws (${reason})`);
      throw new Error('cleanup failed');
    });
    h.job.ctx.addShutdownCallback(async function slow(reason) {
      await new Promise((resolve) => setTimeout(resolve, 2_500));
      calls.push(`slow finished (${reason})`);
    });
    h.job.start();
    await flush();
    h.job.ctx.shutdown('bye');
    await flush();
    expect(calls).toEqual(['hangs started (bye)', 'throws (bye)']);
    await vi.advanceTimersByTimeAsync(2_500);
    expect(calls).toContain('slow finished (bye)');
    expect(h.job.state).toBe('shuttingDown.runningCallbacks');
    await vi.advanceTimersByTimeAsync(500);
    const result = await h.job.result;
    expect(result.status).toBe('failed');
    const messages = result.errors.map((error) => error.message);
    expect(messages).toEqual([
      'shutdown callback #2 (throws) failed: cleanup failed',
      expect.stringContaining('shutdown callbacks did not finish within 3000 ms; still running: shutdown callback #1 (hangs)'),
    ]);
    expect(h.timeline).toContain('room disconnected');
  });

  it('a throwing callback is reported as ShutdownCallbackError and fails the job', async () => {
    const h = harness();
    const errors: unknown[] = [];
    h.job.ctx.on('error', (event) => errors.push(event.error));
    h.job.ctx.addShutdownCallback(() => {
      throw new Error('cleanup failed');
    });
    let ran = false;
    h.job.ctx.addShutdownCallback(() => {
      ran = true;
    });
    h.job.start();
    await flush();
    h.job.ctx.shutdown('bye');
    await flush();
    const result = await h.job.result;
    expect(ran).toBe(true);
    expect(result.status).toBe('failed');
    expect(result.error).toBeInstanceOf(ShutdownCallbackError);
    expect(result.error?.message).toContain('cleanup failed');
    expect(errors).toContainEqual(result.error);
  });

  it('the AbortSignal fires when shutdown starts, with the reason', async () => {
    const h = harness();
    h.job.start();
    await flush();
    expect(h.job.ctx.signal.aborted).toBe(false);
    h.job.ctx.shutdown('bye');
    expect(h.job.ctx.signal.aborted).toBe(true);
    expect((h.job.ctx.signal.reason as Error).message).toContain('bye');
    await flush();
    await h.job.result;
  });
});

describe('close is idempotent', () => {
  it('aclose, shutdown, ctx.shutdown and a room disconnect, together and repeated, give one close, one onExit, one run of each callback', async () => {
    const h = harness();
    let callbackRuns = 0;
    h.job.ctx.addShutdownCallback(() => {
      callbackRuns += 1;
    });
    h.job.start();
    await flush();
    const closes: string[] = [];
    h.session().on('close', (event) => closes.push(event.reason));
    const pending = [h.session().aclose(), h.session().aclose()];
    h.session().shutdown();
    h.job.ctx.shutdown('one');
    h.room.close();
    h.session().shutdown({ drain: false });
    h.job.ctx.shutdown('two');
    pending.push(h.session().aclose());
    await flush();
    await Promise.all(pending);
    await h.job.result;
    expect(closes).toEqual(['user_initiated']);
    expect(h.agent().exits).toBe(1);
    expect(callbackRuns).toBe(1);
  });

  it('say() on a closing or closed session is refused with a clear error', async () => {
    const h = harness();
    h.job.start();
    await flush();
    const session = h.session();
    const closing = session.aclose();
    await flush();
    await closing;
    expect(() => session.say('too late')).toThrow(ClosedError);
    expect(() => session.say('too late')).toThrow(/AgentSession is closed: say\(\) is not possible any more/);
    expect(() => session.generateReply()).toThrow(ClosedError);
    // The job outlives its session: the user is still in the room.
    h.user!.leave();
    await flush();
    await h.job.result;
  });
});

describe('nothing is lost', () => {
  it('the history is complete when the shutdown callbacks run', async () => {
    const h = harness({ goodbye: true });
    let seen: string[] = [];
    h.job.ctx.addShutdownCallback(() => {
      seen = h
        .session()
        .history.messages()
        .map((message) => `${message.role}: ${message.content}${message.interrupted ? ' (interrupted)' : ''}`);
    });
    h.job.start();
    await flush();
    const user = [...h.room.remoteParticipants.keys()][0]!;
    expect(user).toBe('user');
    const output = h.session().output as ScriptedOutput;
    await h.session().input.text('what time is it?');
    await output.untilPlaying();
    // Shut down while the reply is playing and another user turn arrives.
    h.job.ctx.shutdown('bye');
    await h.session().input.text('one more thing');
    await flush();
    await output.finish();
    await flush();
    await output.finish();
    await flush();
    await h.job.result;
    // The user spoke over the first reply: it was cut, kept as far as it was heard, in its place.
    expect(seen).toEqual([
      'user: what time is it?',
      'assistant: ok (interrupted)',
      'user: one more thing',
      'assistant: ok',
      'assistant: Goodbye!',
    ]);
  });
});

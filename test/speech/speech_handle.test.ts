/** SpeechHandle and the speech queue: priorities, done callbacks, failures, tool responses. */
import { describe, expect, it } from 'vitest';
import {
  Agent,
  AgentSession,
  InterruptionRefusedError,
  SPEECH_PRIORITY,
  SpeechHandle,
  VoxstateError,
  functionTool,
  type ErrorEvent,
  type SpeechCreatedEvent,
} from '../../src/index.js';
import { SpeechScheduler } from '../../src/speech/speech_scheduler.js';
import { ScriptedLLM } from '../support/scripted_llm.js';
import { ScriptedOutput } from '../support/scripted_output.js';
import { flush, useFakeTime } from '../support/fake_time.js';

useFakeTime();

function speech(name: string, priority?: number): SpeechHandle & { label: string } {
  const handle = new SpeechHandle({
    source: 'say',
    allowInterruptions: true,
    ...(priority === undefined ? {} : { priority }),
    onError: (error) => {
      throw error;
    },
  });
  return Object.assign(handle, { label: name });
}

/** A scheduler whose speeches each play until the test lets them go, recording the order. */
function queue() {
  const played: string[] = [];
  const failures: Array<[string, unknown]> = [];
  const release = new Map<SpeechHandle, () => void>();
  const scheduler = new SpeechScheduler(
    () => {},
    (s, error) => failures.push([(s as SpeechHandle & { label: string }).label, error]),
  );
  const add = (s: SpeechHandle & { label: string }, fail?: Error) =>
    scheduler.add(s, async () => {
      played.push(s.label);
      await new Promise<void>((resolve) => release.set(s, resolve));
      s._release();
      if (fail) throw fail;
    });
  /** Lets the speech holding the output finish. */
  const finishCurrent = async () => {
    const current = scheduler.current!;
    release.get(current)!();
    await flush();
  };
  return { scheduler, played, failures, add, finishCurrent };
}

describe('speech priority', () => {
  it('higher priority plays first; equal priorities play in the order they were added', async () => {
    const { scheduler, played, add, finishCurrent } = queue();
    const speeches = [
      speech('normal-1'),
      speech('low-1', SPEECH_PRIORITY.low),
      speech('high-1', SPEECH_PRIORITY.high),
      speech('normal-2', SPEECH_PRIORITY.normal),
      speech('high-2', SPEECH_PRIORITY.high),
      speech('low-2', SPEECH_PRIORITY.low),
    ];
    for (const s of speeches) add(s);
    expect(scheduler.queued().map((s) => (s as SpeechHandle & { label: string }).label)).toEqual([
      'high-1',
      'high-2',
      'normal-1',
      'normal-2',
      'low-1',
      'low-2',
    ]);
    expect(speeches.every((s) => s.state === 'scheduled')).toBe(true);

    scheduler.open();
    for (let i = 0; i < speeches.length; i++) {
      await flush();
      // One speech at a time holds the output.
      expect(speeches.filter((s) => s.state === 'playing')).toEqual([scheduler.current]);
      await finishCurrent();
    }
    expect(played).toEqual(['high-1', 'high-2', 'normal-1', 'normal-2', 'low-1', 'low-2']);
    expect(speeches.map((s) => s.state)).toEqual(Array(6).fill('done'));
    expect(scheduler.live.size).toBe(0);
  });

  it('a speech added while another plays waits for it even with a higher priority, then goes first', async () => {
    const { scheduler, played, add, finishCurrent } = queue();
    scheduler.open();
    const first = speech('first', SPEECH_PRIORITY.low);
    add(first);
    await flush();
    add(speech('normal'));
    add(speech('urgent', SPEECH_PRIORITY.high));
    await flush();
    expect(played).toEqual(['first']);
    expect(first.state).toBe('playing');
    await finishCurrent();
    await finishCurrent();
    await finishCurrent();
    expect(played).toEqual(['first', 'urgent', 'normal']);
  });

  it('a queued speech interrupted before its turn is skipped: its task never runs', async () => {
    const { scheduler, played, add, finishCurrent } = queue();
    scheduler.open();
    const [a, b, c] = [speech('a'), speech('b'), speech('c')];
    add(a);
    add(b);
    add(c);
    await flush();
    b.interrupt();
    expect(b.state).toBe('interrupted');
    await finishCurrent();
    await finishCurrent();
    expect(played).toEqual(['a', 'c']);
    expect([a.state, b.state, c.state]).toEqual(['done', 'interrupted', 'done']);
  });

  it('a failing speech ends with its error, is reported, and the next one still plays', async () => {
    const { scheduler, played, failures, add, finishCurrent } = queue();
    scheduler.open();
    const boom = new Error('tts failed');
    const [a, b] = [speech('a'), speech('b')];
    add(a, boom);
    add(b);
    await flush();
    await finishCurrent();
    expect(a.state).toBe('done');
    expect(a.error).toBe(boom);
    expect(failures).toEqual([['a', boom]]);
    expect(played).toEqual(['a', 'b']);
    await finishCurrent();
    expect(b.error).toBeUndefined();
  });

  it('a new SpeechHandle has normal priority and is a first step', () => {
    const s = speech('plain');
    expect(s.priority).toBe(SPEECH_PRIORITY.normal);
    expect(s.step).toBe(1);
    expect(s.parent).toBeUndefined();
    expect(s.id).toMatch(/^speech_/);
  });
});

describe('addDoneCallback', () => {
  it('calls back once with the handle after the speech ends, in the order the callbacks were added', async () => {
    const s = speech('s');
    const calls: Array<[string, SpeechHandle]> = [];
    s.addDoneCallback((handle) => calls.push(['first', handle]));
    s.addDoneCallback((handle) => calls.push(['second', handle]));
    s._play();
    await flush();
    expect(calls).toEqual([]);
    s._finish();
    await flush();
    expect(calls).toEqual([
      ['first', s],
      ['second', s],
    ]);
    // Nothing fires twice, whatever else happens to the ended speech.
    s.interrupt({ force: true });
    s._finish();
    await flush();
    expect(calls).toHaveLength(2);
  });

  it('on an ended speech, calls back at once (on the next microtask)', async () => {
    const s = speech('s');
    s.interrupt();
    let called: SpeechHandle | undefined;
    s.addDoneCallback((handle) => (called = handle));
    expect(called).toBeUndefined();
    await Promise.resolve();
    await Promise.resolve();
    expect(called).toBe(s);
  });

  it('fires for an interrupted speech too', async () => {
    const s = speech('s');
    s._play();
    let interrupted: boolean | undefined;
    s.addDoneCallback((handle) => (interrupted = handle.interrupted));
    s.interrupt();
    await flush();
    expect(interrupted).toBe(true);
  });
});

describe('speeches of a session', () => {
  it('speech_created announces each speech with its source; a tool response follows its reply as the next step', async () => {
    const llm = new ScriptedLLM([
      { text: 'Checking.', toolCalls: [{ name: 'lookup' }] },
      { text: 'It is sunny.' },
    ]);
    const session = new AgentSession({ llm, userAwayTimeout: null });
    const output = new ScriptedOutput();
    session.output = output;
    const created: SpeechCreatedEvent[] = [];
    const errors: ErrorEvent[] = [];
    session.on('speech_created', (event) => created.push(event));
    session.on('error', (event) => errors.push(event));
    const agent = new Agent({
      instructions: 'test',
      tools: { lookup: functionTool({ description: 'looks it up', execute: async () => 'sunny' }) },
    });
    await session.start({ agent });
    const greeting = session.say('Hi!', { allowInterruptions: false });
    const reply = session.generateReply({ userInput: 'weather?' });
    await output.finish();
    await output.finish();
    await flush();
    await output.finish();
    await flush();
    expect(created.map((e) => [e.source, e.userInitiated])).toEqual([
      ['say', true],
      ['generate_reply', true],
      ['tool_response', false],
    ]);
    const toolResponse = created[2]!.speechHandle;
    expect(toolResponse.parent).toBe(reply);
    expect(toolResponse.step).toBe(2);
    // A tool response inherits whether its reply could be interrupted.
    expect(toolResponse.allowInterruptions).toBe(true);
    expect([greeting.state, reply.state, toolResponse.state]).toEqual(['done', 'done', 'done']);
    expect(output.played.map((p) => p.text)).toEqual(['Hi!', 'Checking.', 'It is sunny.']);
    expect(errors).toEqual([]);
    await session.aclose();
  });

  it('interrupting a speech that refuses interruptions tells why', () => {
    const s = new SpeechHandle({ source: 'say', allowInterruptions: false, onError: () => {} });
    expect(() => s.interrupt()).toThrow(VoxstateError);
    expect(() => s.interrupt()).toThrow(`speech ${s.id} does not allow interruptions; pass { force: true } to interrupt it anyway`);
    expect(s.interrupt({ force: true }).interrupted).toBe(true);
  });

  describe('interruptions, against fixed expectations', () => {
    async function playing(allowInterruptions: boolean) {
      const session = new AgentSession({ userAwayTimeout: null });
      const output = new ScriptedOutput();
      session.output = output;
      const errors: ErrorEvent[] = [];
      session.on('error', (event) => errors.push(event));
      await session.start({ agent: new Agent({ instructions: 'test' }) });
      const handle = session.say('A long story.', { allowInterruptions });
      await output.untilPlaying();
      await flush();
      expect(handle.state).toBe('playing');
      return { session, output, handle, errors };
    }

    /** Tries an unforced interrupt that must be refused; the speech plays on, untouched. */
    async function refused(handle: SpeechHandle, output: ScriptedOutput): Promise<void> {
      expect(() => handle.interrupt()).toThrow(InterruptionRefusedError);
      expect(() => handle.interrupt({ force: false })).toThrow(`speech ${handle.id} does not allow interruptions`);
      await flush();
      expect(handle.state).toBe('playing');
      expect(handle.interrupted).toBe(false);
      expect(handle.signal.aborted).toBe(false);
      expect(output.playing.map((p) => p.text)).toEqual(['A long story.']);
    }

    it('an unforced interrupt of a playing speech that does not allow interruptions throws; it plays to its end', async () => {
      const { session, output, handle, errors } = await playing(false);
      expect(handle.allowInterruptions).toBe(false);
      await refused(handle, output);
      await output.finish();
      await handle;
      expect([handle.state, handle.interrupted]).toEqual(['done', false]);
      expect(output.played).toEqual([{ speechId: handle.id, text: 'A long story.', interrupted: false }]);
      expect(session.history.messages()).toEqual([expect.objectContaining({ content: 'A long story.', interrupted: false })]);
      expect(errors).toEqual([]);
      await session.aclose();
    });

    it('forced, it is interrupted: the output stops and the history marks it', async () => {
      const { session, output, handle } = await playing(false);
      expect(handle.interrupt({ force: true })).toBe(handle);
      await handle;
      expect([handle.state, handle.interrupted, handle.signal.aborted]).toEqual(['interrupted', true, true]);
      expect(output.played).toEqual([{ speechId: handle.id, text: 'A long story.', interrupted: true }]);
      expect(session.history.messages()).toEqual([expect.objectContaining({ content: 'A long story.', interrupted: true })]);
      await session.aclose();
    });

    it('the allowInterruptions setter turns them on: an unforced interrupt then works', async () => {
      const { session, output, handle } = await playing(false);
      handle.allowInterruptions = true;
      expect(handle.allowInterruptions).toBe(true);
      expect(handle.interrupt()).toBe(handle);
      await handle;
      expect([handle.state, handle.interrupted]).toEqual(['interrupted', true]);
      expect(output.played).toEqual([{ speechId: handle.id, text: 'A long story.', interrupted: true }]);
      await session.aclose();
    });

    it('and off again: an unforced interrupt is then refused, and on once more it works', async () => {
      const { session, output, handle } = await playing(true);
      expect(handle.allowInterruptions).toBe(true);
      handle.allowInterruptions = false;
      expect(handle.allowInterruptions).toBe(false);
      await refused(handle, output);
      handle.allowInterruptions = true;
      expect(handle.interrupt()).toBe(handle);
      await handle;
      expect(handle.state).toBe('interrupted');
      await session.aclose();
    });
  });
});

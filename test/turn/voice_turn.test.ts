/** Spoken turns on virtual time: VAD and STT drive the user's state and decide the end of the turn. */
import { describe, expect, it, vi } from 'vitest';
import { Agent, AgentSession, type AgentSessionEvents } from '../../src/index.js';
import { tool } from '../../src/llm/function_tool.js';
import { FakeUser } from '../../src/testing/fake_user.js';
import { ScriptedLLM } from '../support/scripted_llm.js';
import { ScriptedOutput } from '../support/scripted_output.js';
import { useFakeTime } from '../support/fake_time.js';

useFakeTime();

async function voiceSession(replies: ConstructorParameters<typeof ScriptedLLM>[0] = [], options: Partial<{ minEndpointingDelay: number; maxEndpointingDelay: number }> = {}) {
  const user = new FakeUser();
  const llm = new ScriptedLLM(replies);
  const session = new AgentSession({ vad: user.vad, stt: user.stt, llm, ...options });
  const output = new ScriptedOutput();
  session.output = output;
  const log: string[] = [];
  const record = <E extends keyof AgentSessionEvents>(name: E, describe: (...args: Parameters<AgentSessionEvents[E]>) => string) =>
    session.on(name, ((...args: Parameters<AgentSessionEvents[E]>) => void log.push(describe(...args))) as unknown as AgentSessionEvents[E]);
  record('user_state_changed', (e) => `user ${e.newState}`);
  record('agent_state_changed', (e) => `agent ${e.newState}`);
  record('user_input_transcribed', (e) => `${e.isFinal ? 'final' : 'interim'}: ${e.transcript}`);
  await session.start({ agent: new Agent({ instructions: 'x' }) });
  void session.listen(user.audio());
  return { user, llm, session, output, log };
}

describe('a spoken turn', () => {
  it('ends minEndpointingDelay after the end of speech, with the final transcript, and gets a reply', async () => {
    const { user, llm, session, output, log } = await voiceSession([{ text: 'It is noon.' }]);
    void user.say('what time is it', { durationMs: 900, sttDelayMs: 200 });
    await vi.advanceTimersByTimeAsync(930);
    expect(session.userState).toBe('listening');
    await vi.advanceTimersByTimeAsync(450);
    expect(llm.requests).toHaveLength(0); // 480 ms after the end of speech: not yet
    await vi.advanceTimersByTimeAsync(30);
    expect(llm.requests).toHaveLength(1);
    await output.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(session.history.messages().map((m) => `${m.role}: ${m.content}`)).toEqual(['user: what time is it', 'assistant: It is noon.']);
    expect(log.filter((line) => line.startsWith('user'))).toEqual(['user speaking', 'user listening']);
    expect(log).toContain('final: what time is it');
    expect(log.some((line) => line.startsWith('interim:'))).toBe(true);
  });

  it('waits for a late final transcript, up to maxEndpointingDelay', async () => {
    const { user, llm } = await voiceSession([{ text: 'ok' }]);
    void user.say('slow network', { durationMs: 640, sttDelayMs: 1_200 });
    await vi.advanceTimersByTimeAsync(640 + 1_100);
    expect(llm.requests).toHaveLength(0);
    await vi.advanceTimersByTimeAsync(150);
    expect(llm.requests).toHaveLength(1);
  });

  it('drops a turn with no words after maxEndpointingDelay (a cough is not a turn)', async () => {
    const { user, llm, session } = await voiceSession([{ text: 'ok' }]);
    void user.say('', { durationMs: 320, noWords: true });
    await vi.advanceTimersByTimeAsync(4_000);
    expect(llm.requests).toHaveLength(0);
    expect(session.history.items).toEqual([]);
  });

  it('speech resuming during endpointing continues the same turn', async () => {
    const { user, llm, session } = await voiceSession([{ text: 'ok' }]);
    void user.say('I would like', { durationMs: 640, sttDelayMs: 100 });
    await vi.advanceTimersByTimeAsync(640 + 300);
    void user.say('a coffee', { durationMs: 640, sttDelayMs: 100 });
    await vi.advanceTimersByTimeAsync(640 + 600);
    expect(llm.requests).toHaveLength(1);
    expect(session.history.messages()[0]!.content).toBe('I would like a coffee');
  });

  it('user speech longer than minInterruptionDuration interrupts the agent at that moment', async () => {
    const { user, session, output } = await voiceSession();
    const speech = session.say('a long story about everything');
    await output.untilPlaying();
    void user.say('stop', { durationMs: 1_000 });
    await vi.advanceTimersByTimeAsync(480);
    expect(speech.interrupted).toBe(false);
    await vi.advanceTimersByTimeAsync(40);
    expect(speech.interrupted).toBe(true);
    expect(session.history.messages()[0]).toMatchObject({ role: 'assistant', interrupted: true });
  });

  it('speech that does not allow interruptions is not interrupted, and the user is still heard', async () => {
    const { user, session, output } = await voiceSession([{ text: 'Go on.' }]);
    const speech = session.say('please listen to this', { allowInterruptions: false });
    await output.untilPlaying();
    void user.say('hey', { durationMs: 1_000 });
    await vi.advanceTimersByTimeAsync(2_000);
    expect(speech.interrupted).toBe(false);
    expect(session.history.messages().map((m) => m.content)).toContain('hey');
  });
});

describe('an STT that cannot stream', () => {
  it('transcribes the utterances the VAD cuts out, and the turn goes on', async () => {
    const { Model } = await import('../../src/provider/model.js');
    class BatchSTT extends Model {
      readonly label = 'batch/stt';
      readonly capabilities = { streaming: false, interimResults: false };
      readonly recognized: number[] = [];
      async recognize(frames: unknown[]) {
        this.recognized.push(frames.length);
        return { text: 'batch words' };
      }
      stream(): never {
        throw new Error('not a streaming STT');
      }
    }
    const user = new FakeUser();
    const stt = new BatchSTT();
    const llm = new ScriptedLLM([{ text: 'ok' }]);
    const session = new AgentSession({ vad: user.vad, stt, llm });
    session.output = new ScriptedOutput();
    await session.start({ agent: new Agent({ instructions: 'x' }) });
    void session.listen(user.audio());
    void user.say('ignored by the batch stt', { durationMs: 500 });
    await vi.advanceTimersByTimeAsync(1_200);
    expect(stt.recognized).toHaveLength(1);
    expect(session.history.messages()[0]!.content).toBe('batch words');
    expect(llm.requests).toHaveLength(1);
  });
});

describe('preemptive generation', () => {
  async function preemptive(replies: ConstructorParameters<typeof ScriptedLLM>[0], preemptiveGeneration: boolean, agent = new Agent({ instructions: 'x' })) {
    const user = new FakeUser();
    const llm = new ScriptedLLM(replies);
    const session = new AgentSession({ vad: user.vad, stt: user.stt, llm, preemptiveGeneration });
    const output = new ScriptedOutput();
    session.output = output;
    await session.start({ agent });
    void session.listen(user.audio());
    return { user, llm, session, output };
  }

  it('requests the reply at the final transcript and uses it when the turn ends unchanged', async () => {
    const { user, llm, session, output } = await preemptive([{ text: 'Hi!', ttftMs: 300 }], true);
    void user.say('hello', { durationMs: 600, sttDelayMs: 100 });
    await vi.advanceTimersByTimeAsync(701);
    expect(llm.requests).toHaveLength(1); // at the final transcript, 400 ms before the turn ends
    await vi.advanceTimersByTimeAsync(400);
    expect(session.agentState).toBe('speaking'); // its first words were already there
    expect(llm.requests).toHaveLength(1);
    await output.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(session.history.messages().map((m) => m.content)).toEqual(['hello', 'Hi!']);
  });

  it('the early request carries the agent’s tools under their names (here an array of named tools), and a call it makes runs', async () => {
    const ordered: string[] = [];
    const agent = new Agent({
      instructions: 'x',
      tools: [
        tool({ name: 'orderCoffee', description: 'Orders a coffee', execute: async () => void ordered.push('coffee') }),
        tool({ name: 'cancel', description: 'Cancels the order', execute: async () => undefined }),
      ],
    });
    const { user, llm } = await preemptive([{ toolCalls: [{ name: 'orderCoffee' }], ttftMs: 300 }], true, agent);
    void user.say('a coffee please', { durationMs: 600, sttDelayMs: 100 });
    await vi.advanceTimersByTimeAsync(701);
    expect(llm.requests).toHaveLength(1); // the early one
    expect(llm.requests[0]!.tools.map((entry) => entry.name)).toEqual(['orderCoffee', 'cancel']);
    await vi.advanceTimersByTimeAsync(1_000);
    expect(ordered).toEqual(['coffee']);
  });

  it('without it, the request waits for the end of the turn', async () => {
    const { user, llm, session } = await preemptive([{ text: 'Hi!', ttftMs: 300 }], false);
    void user.say('hello', { durationMs: 600, sttDelayMs: 100 });
    await vi.advanceTimersByTimeAsync(1_101);
    expect(llm.requests).toHaveLength(1);
    expect(session.agentState).toBe('thinking');
  });

  it('a turn that changed after the early request gets a new one', async () => {
    const { user, llm, session, output } = await preemptive([{ text: 'early' }, { text: 'Coffee coming.' }], true);
    void user.say('I would like', { durationMs: 600, sttDelayMs: 50 });
    await vi.advanceTimersByTimeAsync(600 + 100);
    void user.say('a coffee', { durationMs: 600, sttDelayMs: 50 });
    await vi.advanceTimersByTimeAsync(600 + 600);
    await output.finish();
    await vi.advanceTimersByTimeAsync(0);
    expect(llm.requests.map((request) => request.chatCtx.messages().at(-1)?.content)).toEqual(['I would like', 'I would like a coffee']);
    expect(session.history.messages().map((m) => m.content)).toEqual(['I would like a coffee', 'Coffee coming.']);
  });
  it('text typed while an early reply for other words is pending does not take that reply: it gets its own', async () => {
    const { user, llm, session, output } = await preemptive(
      [{ text: 'Hello to you.', ttftMs: 300 }, { text: 'Goodbye then.' }, { text: 'Hello again.' }],
      true,
    );
    void user.say('hello', { durationMs: 600, sttDelayMs: 100 });
    await vi.advanceTimersByTimeAsync(701);
    expect(llm.requests).toHaveLength(1); // the early request for "hello", answered in 300 ms
    await session.input.text('actually, goodbye');
    await vi.advanceTimersByTimeAsync(0);
    // The typed words are answered by a request of their own; the early reply is cancelled, unplayed.
    expect(llm.requests.map((request) => request.chatCtx.messages().at(-1)?.content)).toEqual(['hello', 'actually, goodbye']);
    expect(llm.requests[0]!.signal?.aborted).toBe(true);
    expect(output.playing.map((p) => p.text)).toEqual(['Goodbye then.']);
    await output.finish();
    await vi.advanceTimersByTimeAsync(1_000);
    expect(output.played.map((p) => p.text)).not.toContain('Hello to you.');
    expect(session.history.messages().slice(0, 2).map((m) => [m.role, m.content])).toEqual([
      ['user', 'actually, goodbye'],
      ['assistant', 'Goodbye then.'],
    ]);
  });
});

describe('onUserTurnCompleted', () => {
  it('edits to the turn context apply to this reply only', async () => {
    class Librarian extends Agent {
      override async onUserTurnCompleted(turnCtx: import('../../src/index.js').ChatContext) {
        turnCtx.addMessage({ role: 'system', content: 'Context: the library closes at 6.' });
      }
    }
    const llm = new ScriptedLLM([{ text: 'At 6.' }]);
    const session = new AgentSession({ llm });
    await session.start({ agent: new Librarian({ instructions: 'x' }) });
    await session.input.text('when do you close?');
    await vi.advanceTimersByTimeAsync(0);
    expect(llm.requests[0]!.chatCtx.messages().map((m) => m.content)).toEqual(['when do you close?', 'Context: the library closes at 6.']);
    expect(session.history.messages().map((m) => m.content)).toEqual(['when do you close?', 'At 6.']);
  });
});

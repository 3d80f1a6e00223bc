/** The seed example "Basic Event", ported: its comments are the specification. */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LocalRoom, TRANSCRIPTION_TOPIC, type AgentSession } from '../../src/index.js';
import { server, SimpleAgent } from '../../examples/basic_event.js';
import { withoutProviderKeys } from '../support/offline.js';

withoutProviderKeys();

afterEach(() => {
  vi.restoreAllMocks();
});

describe('examples/basic_event', () => {
  it('greets Alice exactly once, never Bob, and prints "[Once] Greeted Alice" exactly once', async () => {
    const printed: string[] = [];
    vi.spyOn(console, 'log').mockImplementation((line: unknown) => {
      printed.push(String(line));
    });
    const room = new LocalRoom({ name: 'basic-event' });
    const user = room.join({ identity: 'alice' });
    const job = await server.startJob({ room });
    const session = await new Promise<AgentSession>((resolve) => job.ctx.once('session_started', resolve));
    const greeted = await new Promise<string>((resolve) => user.onText((text) => resolve(text.text)));
    expect(greeted).toBe('Hello, Alice!');

    job.ctx.shutdown('test over');
    const result = await job.result;
    expect(result.status).toBe('success');
    const spoken = user.received.filter((text) => text.topic === TRANSCRIPTION_TOPIC).map((text) => text.text);
    expect(spoken).toEqual(['Hello, Alice!']);
    expect(printed.filter((line) => line.startsWith('[Once]'))).toEqual(['[Once] Greeted Alice']);
    expect(session.history.messages().map((message) => message.content)).toEqual(['Hello, Alice!']);
  });

  it('the greet listener is registered once although on() is called twice with it', () => {
    const agent = new SimpleAgent();
    agent.emitter.on('greet', agent.greet);
    expect(agent.emitter.listenerCount('greet')).toBe(1);
  });

  it('without the off() line, Bob is greeted too', async () => {
    const room = new LocalRoom();
    const user = room.join({ identity: 'bob' });
    class GreetsBoth extends SimpleAgent {
      override async onEnter(): Promise<void> {
        this.emitter.emit('greet', 'Alice');
        this.emitter.emit('greet', 'Bob');
      }
    }
    const { AgentServer, AgentSession } = await import('../../src/index.js');
    const both = new AgentServer();
    both.rtcSession(async (ctx) => {
      const session = new AgentSession();
      await session.start({ agent: new GreetsBoth(), room: ctx.room });
    });
    const job = await both.startJob({ room });
    await new Promise<void>((resolve) => {
      const check = () => user.received.length >= 2 && resolve();
      user.onText(check);
      check();
    });
    job.ctx.shutdown('test over');
    await job.result;
    expect(user.received.map((text) => text.text)).toEqual(['Hello, Alice!', 'Hello, Bob!']);
  });
});

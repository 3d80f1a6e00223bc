/** examples/realtime_agent.ts without credentials: the realtime model's offline stand-in answers typed turns, its tools included. */
import { describe, expect, it } from 'vitest';
import { LocalRoom, TRANSCRIPTION_TOPIC, type AgentSession } from '../../src/index.js';
import { isOfflineStandIn } from '../../src/inference/models.js';
import { server } from '../../examples/realtime_agent.js';
import { withoutProviderKeys } from '../support/offline.js';

withoutProviderKeys();

describe('examples/realtime_agent', () => {
  it('greets on entering, repeats a typed turn, and runs the tool the user names, answering with its output', async () => {
    const room = new LocalRoom({ name: 'realtime-agent' });
    const user = room.join({ identity: 'caller' });
    const heard: string[] = [];
    const arrived: Array<() => void> = [];
    user.onText((text) => {
      if (text.topic !== TRANSCRIPTION_TOPIC) return;
      heard.push(text.text);
      arrived.splice(0).forEach((wake) => wake());
    });
    const hearing = async (count: number) => {
      while (heard.length < count) await new Promise<void>((resolve) => arrived.push(resolve));
    };
    const job = await server.startJob({ room });
    try {
      const session = await new Promise<AgentSession>((resolve) => job.ctx.once('session_started', resolve));
      expect(isOfflineStandIn(session.llm)).toBe(true);
      await hearing(1);
      user.sendText('good morning');
      await hearing(2);
      user.sendText('please tell joke');
      await hearing(3);
      // The answer goes into the history once it has been said.
      while (session.history.items.length < 7) await new Promise<void>((resolve) => session.once('conversation_item_added', () => resolve()));
      expect(heard).toEqual([
        'Hello! I am an offline stand-in: type something and I will repeat it.',
        'You said: good morning',
        'Done: tell_joke → Why did the statechart cross the road? To reach its final state.',
      ]);
      expect(session.history.items.map((item) => (item.type === 'message' ? `${item.role}: ${item.content}` : item.type))).toEqual([
        'assistant: Hello! I am an offline stand-in: type something and I will repeat it.',
        'user: good morning',
        'assistant: You said: good morning',
        'user: please tell joke',
        'function_call',
        'function_call_output',
        'assistant: Done: tell_joke → Why did the statechart cross the road? To reach its final state.',
      ]);
    } finally {
      job.ctx.shutdown('test over');
      await job.result;
    }
  });
});

/** The seed example "Exit Message", ported: end_session drains and closes; onExit says goodbye first. */
import { describe, expect, it } from 'vitest';
import { LocalRoom, TRANSCRIPTION_TOPIC, type AgentSession } from '../../src/index.js';
import { GoodbyeAgent, server } from '../../examples/exit_message.js';
import { withoutProviderKeys } from '../support/offline.js';

withoutProviderKeys();

describe('examples/exit_message', () => {
  it('end_session drains and closes the session, onExit says "Goodbye!" before the session ends, and the job runs on until the caller leaves', async () => {
    const room = new LocalRoom({ name: 'exit-message' });
    const user = room.join({ identity: 'caller' });
    const timeline: string[] = [];
    user.onText((text) => timeline.push(`heard: ${text.text}`));
    const exits: string[] = [];
    const onExit = GoodbyeAgent.prototype.onExit;
    GoodbyeAgent.prototype.onExit = async function (this: GoodbyeAgent) {
      exits.push(this.id);
      await onExit.call(this);
    };
    try {
      const job = await server.startJob({ room });
      const session = await new Promise<AgentSession>((resolve) => job.ctx.once('session_started', resolve));
      session.on('close', (event) => timeline.push(`close: ${event.reason}`));
      session.on('agent_state_changed', (event) => timeline.push(`agent ${event.newState}`));
      await new Promise<void>((resolve) => session.once('agent_state_changed', () => resolve()));
      // The offline LLM calls a tool when the user names it.
      user.sendText('please end session now');
      await session.closed();
      // Seed 003: the job runs until all standard and SIP participants leave, not until the session closes.
      expect(job.state).toBe('running');
      user.leave();
      const result = await job.result;
      expect(result).toMatchObject({ status: 'success', reason: 'all participants left' });
      expect(exits).toEqual(['goodbye_agent']);
      expect(timeline.indexOf('heard: Goodbye!')).toBeGreaterThan(-1);
      expect(timeline.indexOf('heard: Goodbye!')).toBeLessThan(timeline.indexOf('close: user_initiated'));
      expect(timeline.filter((line) => line.startsWith('close'))).toEqual(['close: user_initiated']);
      const items = session.history.items.map((item) =>
        item.type === 'message' ? `${item.role}: ${item.content}` : item.type === 'function_call' ? `call ${item.name}` : item.type,
      );
      // The tool's output comes last: end_session returned after the goodbye and the close.
      expect(items).toEqual(['user: please end session now', 'call end_session', 'assistant: Goodbye!', 'function_call_output']);
      expect(user.received.filter((text) => text.topic === TRANSCRIPTION_TOPIC).map((text) => text.text)).toEqual(['Goodbye!']);
    } finally {
      GoodbyeAgent.prototype.onExit = onExit;
    }
  });
});

/**
 * Sessions that hear a scripted user (FakeUser) on virtual time, for tests of turn taking: one
 * whose replies are text played by a ScriptedOutput, one that speaks aloud (FakeTTS, 100 ms of
 * audio a character, into a PacedAudioOutput that can pause). The users are closed after each test.
 */
import { afterEach } from 'vitest';
import { Agent, AgentSession, PacedAudioOutput, type AgentSessionOptions } from '../../src/index.js';
import { FakeTTS } from '../../src/testing/fake_tts.js';
import { FakeUser } from '../../src/testing/fake_user.js';
import { ScriptedLLM, type ScriptedReply } from './scripted_llm.js';
import { ScriptedOutput } from './scripted_output.js';

export function useVoiceSessions() {
  const users: FakeUser[] = [];
  afterEach(() => {
    for (const user of users.splice(0)) user.close();
  });

  async function start(options: AgentSessionOptions) {
    const user = new FakeUser();
    users.push(user);
    const session = new AgentSession({ vad: user.vad, stt: user.stt, ...options });
    return { user, session };
  }

  return {
    /** Replies are text, played by a ScriptedOutput. */
    async listening(options: AgentSessionOptions = {}, replies: ScriptedReply[] = [{ text: 'ok' }]) {
      const llm = new ScriptedLLM(replies);
      const { user, session } = await start({ llm, ...options });
      session.output = new ScriptedOutput();
      await session.start({ agent: new Agent({ instructions: 'x' }) });
      void session.listen(user.audio());
      return { user, llm, session };
    },

    /** Speech is spoken aloud; `events` logs the false interruptions. */
    async talking(options: AgentSessionOptions = {}) {
      const audio = new PacedAudioOutput();
      const { user, session } = await start({ tts: new FakeTTS({ ttfbMs: 0, msPerCharacter: 100 }), audioOutput: audio, ...options });
      const events: string[] = [];
      session.on('agent_false_interruption', (event) => events.push(`false interruption (resumed: ${event.resumed})`));
      await session.start({ agent: new Agent({ instructions: 'x' }) });
      void session.listen(user.audio());
      return { user, audio, session, events };
    },
  };
}

/** Console mode, in process: typed lines are user turns, speech is printed, states are shown. */
import { describe, expect, it } from 'vitest';
import { Agent, AgentServer, AgentSession, runConsole } from '../../src/index.js';
import { server } from '../../examples/basic_event.js';
import { server as exitMessage } from '../../examples/exit_message.js';
import { withoutProviderKeys } from '../support/offline.js';
import { terminal } from '../support/terminal.js';

withoutProviderKeys();


describe('console mode', () => {
  it('runs a job against a LocalRoom with the terminal as the user, and ends it on end of input', async () => {
    const t = terminal();
    const done = runConsole(server, { input: t.input, output: t.output, handleSignals: false });
    await t.until('agent › Hello, Alice!');
    t.input.write('how are you?\n');
    await t.until('agent › You said: how are you?');
    t.input.end();
    const result = await done;
    expect(result).toMatchObject({ status: 'success', reason: 'console input ended' });
    const text = t.text();
    expect(text).toContain('LLM openai/gpt-4.1-mini: offline stand-in');
    expect(text).toContain('TTS cartesia/sonic-3: offline stand-in');
    // The live states of the job, session and agent actors, as they change.
    // The job runs attended: the terminal's user is in the room.
    expect(text).toMatch(/job: started\.running\.attended │ session: open \(lifecycle: running, agent: speaking, user: listening\) │ agent simple_agent: (entering|active)/);
    expect(text).toMatch(/job: shuttingDown\.closingSession │ session: open \(lifecycle: draining\.exitingAgent/);
    expect(text).toContain('job: done │ session: closed │ agent simple_agent: exited');
    expect(text.trimEnd().endsWith('job success (console input ended)')).toBe(true);
  });

  it('keeps lines typed before the agent joined and answers them', async () => {
    const t = terminal();
    t.input.write('early words\n');
    const done = runConsole(server, { input: t.input, output: t.output, handleSignals: false, showStates: false });
    await t.until('agent › You said: early words');
    t.input.end();
    await done;
    expect(t.text()).not.toContain('⟳');
  });

  it('when the agent ends the session, the terminal user hangs up after the goodbye, and the job ends', async () => {
    const t = terminal();
    const done = runConsole(exitMessage, { input: t.input, output: t.output, handleSignals: false, showStates: false });
    await t.until('offline stand-in');
    t.input.write('end session\n');
    const result = await done;
    expect(result).toMatchObject({ status: 'success', reason: 'all participants left' });
    const text = t.text();
    expect(text.indexOf('agent › Goodbye!')).toBeGreaterThan(-1);
    expect(text.indexOf('agent › Goodbye!')).toBeLessThan(text.indexOf('job success'));
    t.input.end();
  });

  it("a session closed by the job's own shutdown keeps the user in the room: the shutdown callbacks still reach the terminal", async () => {
    const farewell = new AgentServer();
    farewell.rtcSession(async (ctx) => {
      ctx.addShutdownCallback(() => ctx.room.localParticipant?.sendText('see you', { topic: 'farewell' }));
      await new AgentSession().start({ agent: new Agent({ instructions: 'x' }), room: ctx.room });
    });
    const t = terminal();
    const done = runConsole(farewell, { input: t.input, output: t.output, handleSignals: false });
    await t.until('session: open (lifecycle: running');
    t.input.end();
    expect(await done).toMatchObject({ status: 'success', reason: 'console input ended' });
    expect(t.text()).toContain('agent (farewell) › see you');
  });
});

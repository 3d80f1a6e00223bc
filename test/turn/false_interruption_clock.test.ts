/**
 * The false-interruption wait is a state of the session machine (`agent.listening.holding`), timed
 * by the machine's own delay on the session's clock: with XState's SimulatedClock as the
 * session's clock, time passing for setTimeout does not end it; the clock does.
 */
import { afterEach, expect, it, vi } from 'vitest';
import { SimulatedClock } from 'xstate';
import { Agent, AgentSession, type AudioFrame } from '../../src/index.js';
import { never } from '../support/deferred.js';
import { settle, useFakeTime } from '../support/fake_time.js';
import { HearingVAD } from '../support/hearing_models.js';
import { ScriptedOutput } from '../support/scripted_output.js';

useFakeTime();

let session: AgentSession | undefined;
afterEach(async () => {
  await session?.aclose();
  session = undefined;
});

async function* openMicrophone(): AsyncIterable<AudioFrame> {
  await never();
}

it("waits for the user's words falseInterruptionTimeout on the session's clock, then resumes the speech", async () => {
  const clock = new SimulatedClock();
  const vad = new HearingVAD();
  session = new AgentSession({ vad, clock, userAwayTimeout: null, falseInterruptionTimeout: 2_000 });
  const output = new ScriptedOutput();
  output.pausable = true;
  session.output = output;
  const events: string[] = [];
  session.on('agent_state_changed', (event) => events.push(`agent ${event.newState}`));
  session.on('agent_false_interruption', (event) => events.push(`false interruption (resumed: ${event.resumed})`));
  await session.start({ agent: new Agent({ instructions: 'x' }) });
  void session.listen(openMicrophone());
  const speech = session.say('A long story.');
  await settle();
  vad.hear('inference_done', 600);
  await settle();
  expect(session.agentState).toBe('listening');
  expect(session.actor.getSnapshot().matches({ open: { agent: { listening: { holding: 'speech' } } } })).toBe(true);
  expect(output.paused).toBe(true);

  // Time on setTimeout is not the session's: the speech stays paused.
  await vi.advanceTimersByTimeAsync(10_000);
  expect([session.agentState, output.paused]).toEqual(['listening', true]);
  clock.increment(1_999);
  await settle();
  expect([session.agentState, output.paused]).toEqual(['listening', true]);
  clock.increment(1);
  await settle();
  expect([session.agentState, output.paused]).toEqual(['speaking', false]);
  expect(events).toEqual(['agent listening', 'agent speaking', 'agent listening', 'agent speaking', 'false interruption (resumed: true)']);
  await output.finish();
  await settle();
  expect([speech.state, speech.interrupted]).toEqual(['done', false]);
});

/**
 * What the agent is doing is the session's and the speech's actors' states, as an inspector sees
 * them: the session's agent region thinking, speaking, and holding a paused speech while the user
 * may be interrupting; the speech generating, speaking, played, with its tools pending.
 */
import { afterEach, expect, it, vi } from 'vitest';
import type { InspectionEvent } from 'xstate';
import { Agent, AgentSession, addInspector, functionTool, type AudioFrame } from '../../src/index.js';
import { deferred, never } from '../support/deferred.js';
import { settle, useFakeTime } from '../support/fake_time.js';
import { HearingVAD } from '../support/hearing_models.js';
import { ScriptedLLM } from '../support/scripted_llm.js';
import { ScriptedOutput } from '../support/scripted_output.js';

useFakeTime();

const cleanups: Array<() => unknown> = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function* openMicrophone(): AsyncIterable<AudioFrame> {
  await never();
}

it('the inspection events show thinking, speaking, tools pending and the false-interruption wait as states', async () => {
  const seen: Record<'session' | 'speech', string[]> = { session: [], speech: [] };
  cleanups.push(
    addInspector((event: InspectionEvent) => {
      if (event.type !== '@xstate.snapshot') return;
      const id = (event.actorRef as { logic?: { id?: string } }).logic?.id;
      if (id !== 'session' && id !== 'speech') return;
      const value = JSON.stringify((event.snapshot as unknown as { value: unknown }).value);
      if (seen[id].at(-1) !== value) seen[id].push(value);
    }),
  );
  const tool = deferred<unknown>();
  const vad = new HearingVAD();
  const llm = new ScriptedLLM([{ text: 'Let me check.', toolCalls: [{ name: 'lookup' }] }, { text: 'Found it.' }]);
  const session = new AgentSession({ llm, vad, userAwayTimeout: null });
  cleanups.push(() => session.aclose());
  const output = new ScriptedOutput();
  output.pausable = true;
  session.output = output;
  const agent = new Agent({ instructions: 'x', tools: { lookup: functionTool({ description: 'looks it up', execute: () => tool.promise }) } });
  await session.start({ agent });
  void session.listen(openMicrophone());
  session.generateReply();
  await settle();
  // The user speaks over the reply: it is paused until the false-interruption timeout.
  vad.hear('inference_done', 600);
  await settle();
  await vi.advanceTimersByTimeAsync(2_000);
  await output.finish();
  await settle();
  tool.resolve('sunny');
  await settle();
  await output.finish();
  await settle();

  const session_ = (lifecycle: string, agentState: unknown) => JSON.stringify({ open: { lifecycle, agent: agentState, user: 'listening' } });
  expect(seen.session).toEqual(
    expect.arrayContaining([
      session_('running', { listening: 'attentive' }),
      session_('running', 'speaking'),
      session_('running', { listening: { holding: 'speech' } }),
      session_('running', 'thinking'),
    ]),
  );
  const speech = (phase: string) => JSON.stringify({ playing: phase });
  expect(seen.speech).toEqual(
    expect.arrayContaining(['"scheduled"', speech('generating'), speech('speaking'), speech('runningTools'), speech('settled'), '"done"']),
  );
  // In the order they happened: think, speak, hold the speech, speak again, think about the tool, speak its answer.
  const agentStates = seen.session.map((value) => JSON.stringify(JSON.parse(value).open.agent));
  expect(agentStates.filter((state, i) => state !== agentStates[i - 1])).toEqual([
    '"initializing"',
    '{"listening":"attentive"}',
    '"thinking"',
    '"speaking"',
    '{"listening":{"holding":"speech"}}',
    '"speaking"',
    '"thinking"',
    '"speaking"',
    '{"listening":"attentive"}',
  ]);
});

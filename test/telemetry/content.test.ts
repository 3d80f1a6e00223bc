/**
 * Content in spans: what the user said, tool arguments and outputs and error messages are recorded
 * only when setTracing({ recordContent: true }) says so (LiveKit's `lk.pii.*` names), and a
 * credential inside them is masked even then; ids, names and error types always are.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Agent, AgentSession, tool } from '../../src/index.js';
import { setTracing } from '../../src/telemetry/index.js';
import { FakeLLM } from '../../src/testing/fake_llm.js';
import { useFakeTime } from '../support/fake_time.js';
import { useInMemoryTracing } from './in_memory_tracing.js';
import { only } from './span_tree.js';

useFakeTime();
const tracing = useInMemoryTracing();
afterEach(() => setTracing({}));

const KEY = 'sk-proj-abcdefghijklmnop0123';

class Notes extends Agent {
  constructor() {
    super({
      instructions: 'You keep notes.',
      tools: [
        tool({ name: 'save_note', description: 'Saves a note', execute: async () => `saved (token ${KEY})` }),
        tool({
          name: 'delete_note',
          description: 'Deletes a note',
          execute: async () => {
            throw new Error(`no note to delete for ${KEY}`);
          },
        }),
      ],
    });
  }
}

/** A typed turn in which the LLM calls both tools, then answers; the session closes. */
async function notesTurn() {
  const llm = new FakeLLM([
    { toolCalls: [{ name: 'save_note', arguments: { text: `remember ${KEY}` } }, { name: 'delete_note', arguments: {} }], ttftMs: 100 },
    { text: 'Done.', ttftMs: 100 },
  ]);
  const session = new AgentSession({ llm });
  const errors: string[] = [];
  session.on('error', (event) => errors.push(event.source));
  await session.start({ agent: new Notes() });
  const run = session.run({ userInput: `note my key ${KEY}` });
  await vi.advanceTimersByTimeAsync(1_000);
  await run;
  const closed = session.aclose();
  await vi.advanceTimersByTimeAsync(10);
  await closed;
  expect(errors).toEqual(['tool']);
  expect(tracing.open()).toEqual([]);
  const spans = tracing.spans();
  const tool = (name: string) => spans.find((span) => span.name === 'function_tool' && span.attributes['lk.function_tool.name'] === name)!;
  return { spans, saved: tool('save_note'), deleted: tool('delete_note'), turn: only(spans, 'user_turn') };
}

describe('content in spans', () => {
  it('by default: names, ids and error types, no transcript, arguments, outputs or messages', async () => {
    const { spans, saved, deleted, turn } = await notesTurn();
    expect(saved.attributes).toEqual({
      'gen_ai.operation.name': 'execute_tool',
      'lk.function_tool.id': 'call_1',
      'lk.function_tool.name': 'save_note',
      'gen_ai.tool.call.id': 'call_1',
      'gen_ai.tool.name': 'save_note',
      'lk.function_tool.is_error': false,
    });
    expect(deleted.attributes).toMatchObject({ 'lk.function_tool.is_error': true, 'error.type': 'hook_failed' });
    expect(deleted.status).toEqual({ code: 2 });
    expect(turn.attributes).toEqual({});
    const session = only(spans, 'agent_session');
    expect(session.events.map((event) => [event.name, event.attributes])).toEqual([['exception', { 'exception.type': 'hook_failed', 'voxstate.error.source': 'tool' }]]);
    expect(JSON.stringify(spans.map((span) => [span.attributes, span.events, span.status]))).not.toMatch(/sk-|note my key|remember|saved|no note/);
  });

  it('with recordContent: the transcript, arguments, outputs and messages, with the credential in them masked', async () => {
    setTracing({ recordContent: true });
    const { spans, saved, deleted, turn } = await notesTurn();
    expect(turn.attributes['lk.pii.user_transcript']).toBe('note my key sk-[redacted]');
    expect(saved.attributes).toMatchObject({
      'lk.pii.function_tool.arguments': '{"text":"remember sk-[redacted]"}',
      'lk.pii.function_tool.output': 'saved (token sk-[redacted])',
    });
    expect(deleted.status.message).toMatch(/no note to delete for sk-\[redacted\]$/);
    const session = only(spans, 'agent_session');
    expect(session.events[0]!.attributes!['exception.message']).toMatch(/no note to delete for sk-\[redacted\]$/);
    expect(JSON.stringify(spans.map((span) => [span.attributes, span.events, span.status]))).not.toContain(KEY);
  });
});

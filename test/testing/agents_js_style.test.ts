/**
 * The testing API as an agents-js user writes a test (agents-js's examples/src/testing): a session
 * with the fake LLM keyed by input, `session.run(...)` then `result.wait()`, expectations that
 * tolerate an optional message, a range, and `judge` grading the reply. The judge here is a
 * scripted LLM; in real use it is the session's own LLM (e.g. `new openai.LLM()`).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent, AgentSession, functionTool } from '../../src/index.js';
import * as testing from '../../src/testing/index.js';

class DriveThruAgent extends Agent {
  constructor() {
    super({ instructions: 'You take orders at a drive-thru. Keep answers short.' });
  }
  override tools = {
    orderItem: functionTool({
      description: 'Add an item to the order',
      parameters: z.object({ itemId: z.string(), size: z.enum(['S', 'M', 'L']).optional() }),
      execute: async ({ itemId, size }) => `added ${itemId}${size ? ` (${size})` : ''}`,
    }),
  };
}

const llm = new testing.FakeLLM([
  { input: 'Hello!', content: 'Welcome! What would you like?' },
  { input: 'A large cola, please.', content: 'Sure.', toolCalls: [{ name: 'orderItem', args: { itemId: 'cola', size: 'L' } }] },
  { input: 'added cola (L)', content: 'One large cola. Anything else?' },
  { input: 'A burger.', toolCalls: [{ name: 'orderItem', args: { itemId: 'burger' } }] },
  { input: 'added burger', content: 'A burger, got it.' },
]);

/** Grades every message it is asked about as the test says. */
function judgeLLM(verdicts: Array<{ success: boolean; reason: string }>) {
  return new testing.FakeLLM(verdicts.map((verdict) => ({ toolCalls: [{ name: 'check_intent', arguments: verdict }] })));
}

describe('drive-thru agent', () => {
  let session: AgentSession;

  beforeEach(async () => {
    session = new AgentSession({ llm });
    await session.start({ agent: new DriveThruAgent() });
  });

  afterEach(async () => {
    await session.aclose();
  });

  it('greets the customer', async () => {
    const result = session.run({ userInput: 'Hello!' });
    await result.wait();
    await result.expect
      .nextEvent()
      .isMessage({ role: 'assistant' })
      .judge(judgeLLM([{ success: true, reason: 'It welcomes the customer and asks for the order.' }]), {
        intent: 'welcomes the customer and asks what they would like',
      });
    result.expect.noMoreEvents();
  });

  it('orders a large cola', async () => {
    const result = session.run({ userInput: 'A large cola, please.' });
    await result.wait();
    result.expect.skipNextEventIf({ type: 'message', role: 'assistant' });
    result.expect.nextEvent().isFunctionCall({ name: 'orderItem', args: { itemId: 'cola', size: 'L' } });
    result.expect.nextEvent().isFunctionCallOutput({ isError: false });
    await result.expect
      .nextEvent()
      .isMessage({ role: 'assistant' })
      .judge(judgeLLM([{ success: true, reason: 'It confirms the large cola.' }]), { intent: 'confirms a large cola was added' });
    result.expect.noMoreEvents();
    result.expect.range(0, 3).containsFunctionCall({ name: 'orderItem' });
  });

  it('the optional message may not come: skipNextEventIf leaves the cursor', async () => {
    const result = session.run({ userInput: 'A burger.' });
    await result.wait();
    expect(result.expect.skipNextEventIf({ type: 'message', role: 'assistant' })).toBeUndefined();
    result.expect.nextEvent().isFunctionCall({ name: 'orderItem', args: { itemId: 'burger' } });
    result.expect.nextEvent().isFunctionCallOutput();
    result.expect.nextEvent().isMessage({ role: 'assistant' });
    result.expect.noMoreEvents();
  });

  it('a reply that misses the intent fails with the judge’s reason', async () => {
    const result = session.run({ userInput: 'Hello!' });
    await result.wait();
    await expect(
      result.expect
        .nextEvent()
        .isMessage({ role: 'assistant' })
        .judge(judgeLLM([{ success: false, reason: 'It does not give any nutritional information.' }]), {
          intent: 'gives detailed nutritional information about burgers',
        }),
    ).rejects.toThrow('Judgment failed: It does not give any nutritional information.');
  });
});

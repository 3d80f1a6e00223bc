/**
 * A conversation continues in another session: from session.save(), and from a store the session
 * saves to as it goes (a worker restarting mid-call; a job dispatched for a room with a saved call).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { Agent, AgentSession, defineFlow, FileSnapshotStore, LocalRoom, type ErrorEvent, type SavedSession, type SnapshotStore } from '../../src/index.js';
import { FakeLLM } from '../../src/testing/index.js';
import { withoutProviderKeys } from '../support/offline.js';

interface Order {
  item?: string;
}

const shop = setup({ types: { context: {} as Order, events: {} as { type: 'item_chosen'; item: string } | { type: 'paid' } | { type: 'go_back' } } }).createMachine({
  id: 'shop',
  initial: 'ordering',
  context: {},
  states: {
    ordering: {
      initial: 'choosing',
      meta: { agent: 'seller' },
      states: {
        choosing: {
          on: { item_chosen: { target: 'extras', actions: assign({ item: ({ event }) => event.item }), meta: { description: 'chosen', parameters: z.object({ item: z.string() }) } } },
        },
        extras: {},
        last: { type: 'history' },
      },
      on: { paid: { target: 'paying', meta: { description: 'wants to pay' } } },
    },
    paying: { meta: { agent: 'cashier' }, on: { go_back: { target: 'ordering.last', meta: { description: 'back to the order' } } } },
  },
});

const agents = () => ({ seller: () => new Agent({ id: 'seller', instructions: 'sell' }), cashier: () => new Agent({ id: 'cashier', instructions: 'cash' }) });
const flow = () => defineFlow({ machine: shop, agents: agents() });

describe('resuming a flow', () => {
  it('session.save() continues in a new session: where the flow was (history states too), userData, the agent in charge and the history', async () => {
    const first = new AgentSession<Order>({ llm: new FakeLLM([{ toolCalls: [{ name: 'item_chosen', arguments: { item: 'tea' } }] }, { text: 'Tea it is.' }, { toolCalls: [{ name: 'paid' }] }]) });
    await first.start({ flow: flow() });
    await first.run({ userInput: 'tea please' });
    await first.run({ userInput: 'I will pay' });
    expect(first.flow!.actor.getSnapshot().value).toBe('paying');
    const saved = JSON.parse(JSON.stringify(first.save())) as SavedSession;
    await first.aclose();

    const llm = new FakeLLM([{ toolCalls: [{ name: 'go_back' }] }]);
    const second = new AgentSession<Order>({ llm });
    await second.start({ flow: flow(), resume: saved });
    expect(second.flow!.actor.getSnapshot().value).toBe('paying');
    expect(second.currentAgent?.id).toBe('cashier');
    expect(second.userData).toEqual({ item: 'tea' });
    expect(second.history.items.map((item) => item.id)).toEqual(saved.history.map((item) => (item as { id: string }).id));
    // The cashier's LLM sees the conversation so far.
    await second.run({ userInput: 'actually, wait' });
    expect(llm.requests[0]!.chatCtx.items.some((item) => item.type === 'message' && item.content === 'tea please')).toBe(true);
    // "Go back" returns to where the order was before paying: the history state came along.
    expect(second.flow!.actor.getSnapshot().value).toEqual({ ordering: 'extras' });
    expect(second.currentAgent?.id).toBe('seller');
    await second.aclose();
  });

  it('a snapshot of another flow is refused at start', async () => {
    const other = setup({}).createMachine({ id: 'other', initial: 'a', states: { a: { meta: { agent: 'seller' }, on: { end: { target: 'b', meta: { description: 'x' } } } }, b: { type: 'final' } } });
    const first = new AgentSession({ llm: new FakeLLM() });
    await first.start({ flow: defineFlow({ machine: other, agents: agents() }) });
    const saved = first.save();
    await first.aclose();
    await expect(new AgentSession({ llm: new FakeLLM() }).start({ flow: flow(), resume: saved })).rejects.toThrow('the saved session is of flow other, not of flow shop');
  });

  describe('with a store', () => {
    const dir = mkdtempSync(join(tmpdir(), 'voxstate-resume-'));
    afterAll(() => rmSync(dir, { recursive: true, force: true }));

    it('the session saves as the flow moves; after the session ends mid-call, a new one under the same key continues', async () => {
      const store = new FileSnapshotStore(dir);
      const first = new AgentSession<Order>({ llm: new FakeLLM([{ toolCalls: [{ name: 'item_chosen', arguments: { item: 'cake' } }] }, { text: 'Cake.' }]) });
      await first.start({ flow: flow(), persist: { store, key: 'room-1' } });
      await first.run({ userInput: 'cake' });
      // The worker goes away mid-call: the session closes without finishing the flow.
      await first.aclose();
      const stored = await store.load('room-1');
      expect(stored).toMatchObject({ flowId: 'shop', agent: 'seller', flow: { value: { ordering: 'extras' }, context: { item: 'cake' } } });
      expect(stored!.history.some((item) => (item as { content?: string }).content === 'Cake.')).toBe(true);

      const second = new AgentSession<Order>({ llm: new FakeLLM([{ toolCalls: [{ name: 'paid' }] }]) });
      await second.start({ flow: flow(), persist: { store, key: 'room-1' } });
      expect(second.flow!.actor.getSnapshot().value).toEqual({ ordering: 'extras' });
      expect(second.userData).toEqual({ item: 'cake' });
      await second.run({ userInput: 'pay' });
      // Saving is in the background; closing waits for the last save.
      await second.aclose();
      expect((await store.load('room-1'))!.flow).toMatchObject({ value: 'paying' });
      // Another key starts afresh.
      const third = new AgentSession<Order>({ llm: new FakeLLM() });
      await third.start({ flow: flow(), persist: { store, key: 'room-2' } });
      expect(third.flow!.actor.getSnapshot().value).toEqual({ ordering: 'choosing' });
      await third.aclose();
    });

    it('a call whose flow finished is forgotten: the next session under its key starts afresh', async () => {
      const store = new FileSnapshotStore(dir);
      const short = setup({}).createMachine({
        id: 'short',
        initial: 'talking',
        states: { talking: { meta: { agent: 'seller' }, on: { done: { target: 'over', meta: { description: 'finished' } } } }, over: { type: 'final', meta: { agent: 'cashier' } } },
      });
      const session = new AgentSession({ llm: new FakeLLM([{ text: 'hello' }, { toolCalls: [{ name: 'done' }] }]) });
      await session.start({ flow: defineFlow({ machine: short, agents: agents() }), persist: { store, key: 'room-3' } });
      await session.run({ userInput: 'hi' });
      await session.aclose();
      expect(await store.load('room-3')).toMatchObject({ flow: { value: 'talking' } });

      const next = new AgentSession({ llm: new FakeLLM([{ toolCalls: [{ name: 'done' }] }]) });
      await next.start({ flow: defineFlow({ machine: short, agents: agents() }), persist: { store, key: 'room-3' } });
      await next.run({ userInput: 'bye' });
      await next.closed();
      expect(await store.load('room-3')).toBeUndefined();
    });

    it('a store that fails to save is reported as an error event; the conversation goes on', async () => {
      const broken: SnapshotStore = {
        load: async () => undefined,
        save: async () => {
          throw new Error('disk full');
        },
        delete: async () => undefined,
      };
      const session = new AgentSession<Order>({ llm: new FakeLLM([{ toolCalls: [{ name: 'item_chosen', arguments: { item: 'pie' } }] }, { text: 'Pie.' }]) });
      const errors: ErrorEvent[] = [];
      session.on('error', (event) => errors.push(event));
      await session.start({ flow: flow(), persist: { store: broken, key: 'k' } });
      await session.run({ userInput: 'pie' });
      await session.aclose();
      expect(errors.length).toBeGreaterThan(0);
      expect(errors[0]!.error.message).toBe('the session could not be saved under k');
      expect((errors[0]!.error.cause as Error).message).toBe('disk full');
      expect(session.userData).toEqual({ item: 'pie' });
    });
  });
});

describe('the clinic example resumes a call in the same room', () => {
  withoutProviderKeys();
  const dir = mkdtempSync(join(tmpdir(), 'clinic-resume-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('a job for a room with a saved call continues it where it was', async () => {
    process.env.CLINIC_SESSIONS_DIR = dir;
    const { server } = await import('../../examples/clinic_flow.js');
    const room = new LocalRoom({ name: 'clinic-resume' });
    const caller = room.join({ identity: 'caller' });
    const heard: string[] = [];
    caller.onText((text) => heard.push(text.text));

    const job = await server.startJob({ room });
    const session = await new Promise<AgentSession>((resolve) => job.ctx.once('session_started', resolve));
    await new Promise((resolve) => session.once('conversation_item_added', resolve));
    expect(heard).toEqual(['Riverside Clinic, good morning. May I have your full name and date of birth?']);
    await session.run({ userInput: "caller identified name='Ann Lee' dob=1990-04-01" });
    expect(session.currentAgent?.id).toBe('scheduler');
    // The worker restarts: the job ends mid-call.
    job.ctx.shutdown('worker restart');
    await job.result;

    const again = await server.startJob({ room });
    const resumed = await new Promise<AgentSession>((resolve) => again.ctx.once('session_started', resolve));
    // The scheduler enters again, and greets the caller by the name the first call stored.
    await new Promise((resolve) => resumed.once('conversation_item_added', resolve));
    expect(heard.at(-1)).toBe('Thank you, Ann Lee. Which day and time would suit you?');
    expect(resumed.currentAgent?.id).toBe('scheduler');
    expect(resumed.userData).toMatchObject({ name: 'Ann Lee', dob: '1990-04-01' });
    await resumed.run({ userInput: "slot chosen slot='Tuesday 10:00'" });
    expect(resumed.flow!.actor.getSnapshot().value).toMatchObject({ call: { conversation: { booking: 'confirming' } } });
    expect(heard).toContain('So that is Tuesday 10:00, for Ann Lee. Shall I book it?');
    again.ctx.shutdown('done');
    await again.result;
    caller.leave();
  });
});

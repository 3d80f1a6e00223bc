/**
 * A call moves between workers through Redis: a session saves its flow as it goes through one
 * RedisSnapshotStore; after that worker is gone, a session on another worker (its own store and
 * connection, the same redis-server, started on 127.0.0.1 by this file) continues the call.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { Agent, AgentSession, defineFlow, RedisSnapshotStore } from '../../src/index.js';
import { FakeLLM } from '../../src/testing/index.js';
import { useRedisServer } from '../support/redis_server.js';

const server = useRedisServer();
const stores: RedisSnapshotStore[] = [];
afterAll(() => Promise.all(stores.map((store) => store.close())));

const intake = setup({ types: { context: {} as { reason?: string }, events: {} as { type: 'reason_given'; reason: string } | { type: 'handled' } } }).createMachine({
  id: 'intake',
  initial: 'asking',
  context: {},
  states: {
    asking: {
      meta: { agent: 'nurse' },
      on: { reason_given: { target: 'waiting', actions: assign({ reason: ({ event }) => event.reason }), meta: { description: 'why they came', parameters: z.object({ reason: z.string() }) } } },
    },
    waiting: { meta: { agent: 'doctor' }, on: { handled: { target: 'done', meta: { description: 'handled' } } } },
    done: { type: 'final' },
  },
});
const flow = () => defineFlow({ machine: intake, agents: { nurse: () => new Agent({ id: 'nurse', instructions: 'n' }), doctor: () => new Agent({ id: 'doctor', instructions: 'd' }) } });
const worker = () => {
  const store = new RedisSnapshotStore({ url: server.url, prefix: 'intake:' });
  stores.push(store);
  return store;
};

describe('resuming through Redis', () => {
  it('a call saved by one worker continues on another', async () => {
    const first = new AgentSession<{ reason?: string }>({ llm: new FakeLLM([{ toolCalls: [{ name: 'reason_given', arguments: { reason: 'a cough' } }] }]) });
    await first.start({ flow: flow(), persist: { store: worker(), key: 'room-7' } });
    await first.run({ userInput: 'I have a cough' });
    await first.aclose();

    const second = new AgentSession<{ reason?: string }>({ llm: new FakeLLM() });
    await second.start({ flow: flow(), persist: { store: worker(), key: 'room-7' } });
    expect(second.flow!.actor.getSnapshot().value).toBe('waiting');
    expect(second.currentAgent?.id).toBe('doctor');
    expect(second.userData).toEqual({ reason: 'a cough' });
    expect(second.history.items.some((item) => item.type === 'message' && item.content === 'I have a cough')).toBe(true);
    await second.aclose();
  });
});

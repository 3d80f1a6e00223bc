/** EventChannel: values in order, end after the queued ones, failure after the queued ones, close at once, early return. */
import { describe, expect, it, vi } from 'vitest';
import { EventChannel } from '../../src/streams/event_channel.js';

async function all<T>(channel: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const value of channel) out.push(value);
  return out;
}

describe('EventChannel', () => {
  it('delivers values pushed before and while the reader waits, then ends', async () => {
    const channel = new EventChannel<number>();
    channel.push(1);
    const reading = all(channel);
    await Promise.resolve();
    channel.push(2);
    channel.end();
    channel.push(3); // after the end: ignored
    expect(await reading).toEqual([1, 2]);
  });

  it('throws the failure after the queued values', async () => {
    const channel = new EventChannel<number>();
    channel.push(1);
    const failure = new Error('x');
    channel.fail(failure);
    const iterator = channel[Symbol.asyncIterator]();
    expect(await iterator.next()).toEqual({ value: 1, done: false });
    await expect(iterator.next()).rejects.toBe(failure);
    expect(await iterator.next()).toEqual({ value: undefined, done: true });
  });

  it('fails a waiting reader', async () => {
    const channel = new EventChannel<number>();
    const reading = all(channel);
    await Promise.resolve();
    channel.fail(new Error('late'));
    await expect(reading).rejects.toThrow('late');
  });

  it('close() drops the queue and ends at once', async () => {
    const channel = new EventChannel<number>();
    channel.push(1);
    channel.close();
    expect(await all(channel)).toEqual([]);
    expect(channel.ended).toBe(true);
  });

  it('a reader that stops early calls onReturn once; one reader only', async () => {
    const onReturn = vi.fn();
    const channel = new EventChannel<number>(onReturn);
    channel.push(1);
    channel.push(2);
    for await (const value of channel) {
      expect(value).toBe(1);
      break;
    }
    expect(onReturn).toHaveBeenCalledTimes(1);
    expect(() => channel[Symbol.asyncIterator]()).toThrow(/one reader/);
  });
});

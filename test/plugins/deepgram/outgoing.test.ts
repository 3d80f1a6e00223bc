/** OutgoingBuffer: order kept, audio bounded by dropping the oldest, control messages always kept. */
import { describe, expect, it } from 'vitest';
import { OutgoingBuffer, type Outgoing } from '../../../src/plugins/deepgram/outgoing.js';

const audio = (startMs: number, durationMs = 100): Outgoing => ({ kind: 'audio', pcm: new Int16Array(1), startMs, durationMs });

function drain(buffer: OutgoingBuffer): string[] {
  const out: string[] = [];
  for (let item = buffer.peek(); item; item = buffer.peek()) {
    out.push(item.kind === 'audio' ? `audio@${item.startMs}` : item.kind);
    buffer.shift();
  }
  return out;
}

describe('OutgoingBuffer', () => {
  it('keeps everything in order within the bound', () => {
    const buffer = new OutgoingBuffer(300);
    buffer.push(audio(0));
    buffer.push({ kind: 'Finalize' });
    buffer.push(audio(100));
    expect(buffer.audioMs).toBe(200);
    expect(drain(buffer)).toEqual(['audio@0', 'Finalize', 'audio@100']);
    expect(buffer.audioMs).toBe(0);
    expect(buffer.takeDroppedMs()).toBe(0);
  });

  it('drops the oldest audio beyond the bound, keeps control messages, and counts what it dropped', () => {
    const buffer = new OutgoingBuffer(200);
    buffer.push(audio(0));
    buffer.push({ kind: 'Finalize' });
    for (let t = 100; t <= 400; t += 100) buffer.push(audio(t));
    buffer.push({ kind: 'CloseStream' });
    expect(buffer.takeDroppedMs()).toBe(300);
    expect(buffer.takeDroppedMs()).toBe(0);
    expect(drain(buffer)).toEqual(['Finalize', 'audio@300', 'audio@400', 'CloseStream']);
  });

  it('with a bound of 0 keeps no audio', () => {
    const buffer = new OutgoingBuffer(0);
    buffer.push(audio(0));
    buffer.push({ kind: 'CloseStream' });
    expect(drain(buffer)).toEqual(['CloseStream']);
    expect(buffer.takeDroppedMs()).toBe(100);
  });
});

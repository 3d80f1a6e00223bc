import { describe, expect, it } from 'vitest';
import { EventEmitter } from '../../src/events/emitter.js';
import type { VADMetrics } from '../../src/provider/metrics.js';
import type { ModelEvents } from '../../src/provider/model.js';
import { asRequester, onRequestMetrics } from '../../src/provider/requester.js';

const metrics = (label: string): VADMetrics => ({ type: 'vad_metrics', label, idleTimeMs: 0, inferenceDurationTotalMs: 1, inferenceCount: 1, timestamp: 0 });

describe('onRequestMetrics', () => {
  it("hands a shared model's measurement to the owner of its request only, and one made outside any request to every owner", () => {
    const model = new EventEmitter<ModelEvents>();
    const owners = [{}, {}, {}];
    const heard = owners.map(() => [] as string[]);
    const stops = owners.map((owner, i) => onRequestMetrics(model, owner, (m) => void heard[i]!.push(m.label)));
    asRequester(owners[1]!, () => model.emit('metrics_collected', metrics('b')));
    model.emit('metrics_collected', metrics('nobody'));
    expect(heard).toEqual([['nobody'], ['b', 'nobody'], ['nobody']]);
    // However many owners watch it, the model has one listener: a burst of N owners' measurements costs N calls, not N².
    expect(model.listenerCount('metrics_collected')).toBe(1);
    stops[1]!();
    asRequester(owners[1]!, () => model.emit('metrics_collected', metrics('b again')));
    expect(heard[1]).toEqual(['b', 'nobody']);
    stops[0]!();
    stops[2]!();
    expect(model.listenerCount('metrics_collected')).toBe(0);
  });
});

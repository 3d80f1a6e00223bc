/**
 * Malformed and out-of-order messages: each is a typed error event (or a log line), never an
 * exception; the connection goes on, or is dropped and made again when LiveKit broke the
 * protocol (anything before the registration answer, a registration that never comes).
 */
import { JobStatus } from '@livekit/protocol';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { TimeoutError } from '../../src/index.js';
import { WorkerProtocolError } from '../../src/worker/errors.js';
import { REGISTER_TIMEOUT_MS } from '../../src/worker/worker.js';
import { closeWorlds, World } from './harness.js';

afterEach(closeWorlds);

describe('Worker protocol errors', () => {
  it('garbage bytes are a protocol error event; the connection goes on', async () => {
    const world = await World.start();
    await world.until('available');
    world.livekit.sendRaw(Buffer.from([0xff, 0xff, 0xff, 0xff, 0x0f]));
    expect(await world.livekit.ask({ id: 'after' })).toMatchObject({ available: true });
    expect(world.errors).toEqual([expect.any(WorkerProtocolError)]);
    expect(world.errors[0]!.message).toMatch(/^LiveKit protocol error: a malformed frame of 5 bytes was ignored/);
    expect(world.livekit.accepted).toBe(1);
  });

  it('a text frame is logged and ignored', async () => {
    const world = await World.start();
    await world.until('available');
    world.livekit.sendRaw('{"hello":"json"}');
    expect(await world.livekit.ask({ id: 'after' })).toMatchObject({ available: true });
    expect(world.errors).toEqual([]);
    expect(world.logs.some((line) => line.level === 40 && String(line.msg).includes('text frame'))).toBe(true);
  });

  it('a message of no known kind is a protocol error event', async () => {
    const world = await World.start();
    await world.until('available');
    world.livekit.sendRaw(Buffer.alloc(0));
    expect(await world.livekit.ask({ id: 'after' })).toMatchObject({ available: true });
    expect(world.errors.map((e) => e.message)).toEqual(['LiveKit protocol error: a message of an unknown kind was ignored']);
  });

  it('an assignment before the registration answer is a protocol error: the worker reconnects and registers', async () => {
    const world = await World.start({ autoRegister: false });
    await world.livekit.next('register');
    world.livekit.assign({ id: 'early' });
    await world.livekit.connections(2);
    expect(world.errors.map((e) => e.message)).toEqual(['LiveKit protocol error: a job assignment came before the registration was answered']);
    world.livekit.autoRegister = true;
    world.livekit.register();
    await world.until('available');
    expect(world.infos).toEqual([]);
    expect(world.states).toContain('reconnecting');
  });

  it('an availability request or a termination before the registration answer too', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const world = await World.start({ autoRegister: false });
    await world.livekit.next('register');
    world.livekit.offer({ id: 'early' });
    await world.reported(1);
    await vi.advanceTimersByTimeAsync(1);
    await world.livekit.connections(2);
    await world.livekit.next('register');
    world.livekit.terminate('early');
    await world.reported(2);
    // Two failures in a row: the second retry waits 2 s.
    await vi.advanceTimersByTimeAsync(1_999);
    expect(world.livekit.accepted).toBe(2);
    await vi.advanceTimersByTimeAsync(1);
    await world.livekit.connections(3);
    expect(world.errors.map((e) => e.message)).toEqual([
      'LiveKit protocol error: an availability request came before the registration was answered',
      'LiveKit protocol error: a job termination came before the registration was answered',
    ]);
    expect(world.livekit.all('availability')).toEqual([]);
  });

  it('a second registration answer is a protocol error and changes nothing', async () => {
    const world = await World.start();
    await world.until('available');
    world.livekit.register('AW_other');
    expect(await world.livekit.ask({ id: 'after' })).toMatchObject({ available: true });
    expect(world.worker.status.workerId).toBe('AW_fake1');
    expect(world.errors.map((e) => e.message)).toEqual(['LiveKit protocol error: a second registration answer was ignored']);
  });

  it('an assignment of a job the worker never accepted is reported failed to LiveKit', async () => {
    const world = await World.start();
    await world.until('available');
    world.livekit.assign({ id: 'stranger' });
    expect(await world.livekit.next('updateJob')).toMatchObject({ jobId: 'stranger', status: JobStatus.JS_FAILED });
    expect(world.errors).toEqual([expect.any(WorkerProtocolError)]);
    expect(world.infos).toEqual([]);
  });

  it('a registration that is not answered within 10 s is a timeout: the worker reconnects', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    const world = await World.start({ autoRegister: false });
    await world.livekit.next('register');
    await vi.advanceTimersByTimeAsync(REGISTER_TIMEOUT_MS - 1);
    expect(world.errors).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    expect(world.errors).toEqual([expect.any(TimeoutError)]);
    expect(world.errors[0]!.message).toBe('registration with LiveKit did not finish within 10000 ms');
    // The first retry is immediate (fake timers make a 0 ms timer set inside a timer 1 ms).
    await vi.advanceTimersByTimeAsync(1);
    await world.livekit.connections(2);
    await world.livekit.next('register');
  });
});

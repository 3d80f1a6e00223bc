/** JobContext.deleteRoom(): LiveKit's RoomService (a fake Twirp endpoint on 127.0.0.1), credentials, in-process rooms. */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { TokenVerifier } from 'livekit-server-sdk';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { Job, JobProcess, LocalRoom, jobInfo, type Room } from '../../src/index.js';
import { LiveKitRoom } from '../../src/room/livekit_room.js';

interface Call {
  path: string;
  authorization: string | undefined;
  body: unknown;
}

let server: Server;
let url: string;
const calls: Call[] = [];
let status = 200;

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res) => {
    let body = '';
    req.on('data', (chunk) => (body += String(chunk)));
    req.on('end', () => {
      calls.push({ path: req.url ?? '', authorization: req.headers.authorization, body: body ? JSON.parse(body) : undefined });
      if (status === 200) {
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      } else {
        res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ code: 'not_found', msg: 'room not found' }));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `ws://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => {
  server.close();
});
beforeEach(() => {
  calls.length = 0;
  status = 200;
  vi.stubEnv('LIVEKIT_URL', '');
  vi.stubEnv('LIVEKIT_API_KEY', '');
  vi.stubEnv('LIVEKIT_API_SECRET', '');
  return () => vi.unstubAllEnvs();
});

function contextFor(room: Room) {
  return new Job({ info: jobInfo({ id: 'job-del', roomName: room.name }), room, proc: new JobProcess(), entrypoint: async () => {} }).ctx;
}

const liveKitRoom = () => new LiveKitRoom({ url: 'ws://127.0.0.1:1', token: 'agent-token', name: 'the-room' });

describe('deleteRoom', () => {
  it('posts DeleteRoom to the RoomService with a token signed by the API secret (env credentials, ws → http)', async () => {
    vi.stubEnv('LIVEKIT_URL', url);
    vi.stubEnv('LIVEKIT_API_KEY', 'APIkey123');
    vi.stubEnv('LIVEKIT_API_SECRET', 'a-secret-that-is-long-enough-for-hs256');
    await contextFor(liveKitRoom()).deleteRoom();
    expect(calls).toHaveLength(1);
    expect(calls[0]!.path).toBe('/twirp/livekit.RoomService/DeleteRoom');
    expect(calls[0]!.body).toEqual({ room: 'the-room' });
    const [scheme, jwt] = calls[0]!.authorization!.split(' ');
    expect(scheme).toBe('Bearer');
    const claims = await new TokenVerifier('APIkey123', 'a-secret-that-is-long-enough-for-hs256').verify(jwt!);
    expect(claims.video).toMatchObject({ roomCreate: true });
    await expect(new TokenVerifier('APIkey123', 'another-secret-of-sufficient-length').verify(jwt!)).rejects.toThrow();
  });

  it('another room, and explicit options over the environment', async () => {
    vi.stubEnv('LIVEKIT_URL', 'ws://127.0.0.1:1');
    await contextFor(liveKitRoom()).deleteRoom('other-room', { url, apiKey: 'k', apiSecret: 'explicit-secret-long-enough-for-hs256' });
    expect(calls.map((call) => call.body)).toEqual([{ room: 'other-room' }]);
  });

  it('a server error is a typed delete_room_failed error', async () => {
    status = 404;
    const error = await contextFor(liveKitRoom())
      .deleteRoom(undefined, { url, apiKey: 'k', apiSecret: 'explicit-secret-long-enough-for-hs256' })
      .catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'delete_room_failed', message: expect.stringContaining('room not found') });
    expect((error as Error).message).not.toContain('explicit-secret');
  });

  it('without credentials: missing_credentials naming what to set, and no request', async () => {
    vi.stubEnv('LIVEKIT_URL', url);
    await expect(contextFor(liveKitRoom()).deleteRoom()).rejects.toMatchObject({
      code: 'missing_credentials',
      message: expect.stringMatching(/LIVEKIT_API_KEY, LIVEKIT_API_SECRET$/),
    });
    expect(calls).toHaveLength(0);
  });

  it('an in-process room is closed as the server would: the agent sees disconnected (room deleted)', async () => {
    const room = new LocalRoom({ name: 'local' });
    await room.connect();
    const reasons: string[] = [];
    room.on('disconnected', (reason) => reasons.push(reason));
    await contextFor(room).deleteRoom();
    expect(reasons).toEqual(['room deleted']);
    expect(calls).toHaveLength(0);
  });
});

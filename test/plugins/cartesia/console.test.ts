/**
 * The Cartesia TTS in a real process, as a user runs it: `tsx examples/basic_event.ts console`
 * with CARTESIA_API_KEY set and CARTESIA_BASE_URL pointing at the fake server (its certificate
 * trusted through NODE_EXTRA_CA_CERTS). What the server sends must never end the process.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { offlineEnv } from '../../support/offline.js';
import { startProgram } from '../../support/program.js';
import { speak } from './fake_cartesia.js';
import { useFakeCartesia } from './setup.js';

const h = useFakeCartesia();

let certDir: string;
beforeAll(() => {
  certDir = mkdtempSync(join(tmpdir(), 'voxstate-ca-'));
  writeFileSync(join(certDir, 'ca.pem'), h.tls.cert);
});
afterAll(() => rmSync(certDir, { recursive: true, force: true }));

function consoleRun() {
  return startProgram(process.execPath, ['--import', 'tsx', 'examples/basic_event.ts', 'console'], {
    cwd: new URL('../../..', import.meta.url),
    env: {
      ...offlineEnv({ LOG_LEVEL: 'warn', FORCE_COLOR: '0' }),
      CARTESIA_API_KEY: h.fake.apiKey,
      CARTESIA_BASE_URL: h.fake.url,
      NODE_EXTRA_CA_CERTS: join(certDir, 'ca.pem'),
    },
  });
}

describe('console mode with the Cartesia TTS', () => {
  it('a chunk whose data is not a string ends that speech with a typed error; the session goes on and the process exits 0', async () => {
    // The greeting's first audio is fine, its second chunk carries a number; later speech is fine.
    h.fake.answer = (request, connection) => {
      if (connection !== h.fake.connections[0]) return speak(request, connection);
      if (!request.transcript) return;
      connection.sendAudio(request.context_id!, 1, 1);
      connection.send({ type: 'chunk', context_id: request.context_id, data: 42, done: false });
    };
    const run = consoleRun();
    // The session logs the failed speech (an error, source tts) and goes on listening.
    await run.until('"msg":"cartesia: malformed message from the server: the SDK could not read a frame (', 'err');
    expect(run.err()).toContain('"source":"tts"');
    run.child.stdin.write('hello there\n');
    await run.until('agent › You said: hello there');
    run.child.stdin.end();
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain('job success (console input ended)');
    expect(h.fake.connections.length).toBeGreaterThanOrEqual(2);
  }, 30_000);
});

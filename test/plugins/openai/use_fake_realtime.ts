/** The fake Realtime API for a test file: started once (TLS, a throwaway certificate), reset after each test, stopped at the end. */
import { afterAll, afterEach, beforeAll } from 'vitest';
import { selfSignedCert, type TlsCert } from '../../support/tls_cert.js';
import { FakeRealtimeServer, speak } from './fake_realtime_server.js';

export interface FakeRealtime {
  readonly tls: TlsCert;
  readonly fake: FakeRealtimeServer;
}

/** `cleanup` runs after each test (closing what it opened), before the fake's default answer is restored. */
export function useFakeRealtime(cleanup: () => unknown = () => {}): FakeRealtime {
  const harness = {} as { tls: TlsCert; fake: FakeRealtimeServer };
  beforeAll(async () => {
    harness.tls = selfSignedCert();
    harness.fake = await FakeRealtimeServer.start(harness.tls);
  });
  afterEach(async () => {
    await cleanup();
    harness.fake.respond = speak('Hello.');
  });
  afterAll(async () => {
    await harness.fake.stop();
  });
  return harness;
}

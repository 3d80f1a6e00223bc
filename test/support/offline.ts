/**
 * Tests that expect the offline stand-ins run without provider credentials, even on a machine
 * that has them (the live tests are the ones that use them).
 */
import { beforeEach, vi } from 'vitest';

export const PROVIDER_KEYS = ['OPENAI_API_KEY', 'DEEPGRAM_API_KEY', 'CARTESIA_API_KEY'] as const;

/** Blanks the provider keys for every test of the calling file. */
export function withoutProviderKeys(): void {
  beforeEach(() => {
    for (const key of PROVIDER_KEYS) vi.stubEnv(key, '');
    return () => vi.unstubAllEnvs();
  });
}

/** The environment for a child process that must run offline. */
export function offlineEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = { ...process.env, ...extra };
  for (const key of PROVIDER_KEYS) delete env[key];
  return env;
}

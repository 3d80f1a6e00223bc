import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // A consumer project's test: the package test runs it against the installed package.
    exclude: ['test/package/consumer/**'],
    environment: 'node',
    // A warning XState prints fails the test it is printed in.
    setupFiles: ['test/support/no_xstate_warnings.ts'],
    testTimeout: 10_000,
    // Logs go nowhere in tests unless a test captures them itself.
    env: { LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent' },
  },
});

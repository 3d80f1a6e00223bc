/**
 * For the agents-js-style unit tests of test/compat (`*.spec.ts`): test/compat/ports.test.ts runs
 * them in a vitest of their own, whose environment points the OpenAI plugin at its fake server.
 */
import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/compat/*.spec.ts'],
    environment: 'node',
    setupFiles: ['test/support/no_xstate_warnings.ts'],
  },
});

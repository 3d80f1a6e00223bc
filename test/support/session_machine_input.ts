/** An input for the session machine alone (no AgentSession around it), with room for extra fields. */
import type { SessionMachineInput } from '../../machines/index.js';

export const sessionMachineInput = (extra: Record<string, unknown> = {}): SessionMachineInput => ({
  userAwayTimeout: null,
  speechDrainTimeout: 1_000,
  closeTimeout: 1_000,
  interruption: { thinking: { enabled: true, minDuration: 500 }, speaking: { enabled: true, minDuration: 500 } },
  resumeFalseInterruption: true,
  falseInterruptionTimeout: 2_000,
  ...extra,
});

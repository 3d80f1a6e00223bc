/**
 * defineAgent: agents-js's way to declare an agent program. Its module's default export is the
 * definition; `cli.runApp(new ServerOptions({ agent: <that file> }))` runs it, and every job
 * process imports the file by path and runs its `prewarm` once, then its `entry` for the job.
 * It is the same program as AgentServer's `setupFnc` and `rtcSession(entrypoint)`: ServerOptions
 * builds an AgentServer from it.
 */
import type { Entrypoint } from '../job/job.js';
import type { JobProcess } from '../job/job_process.js';
import { AgentModuleError } from './errors.js';

// Symbol.for: a definition made by one copy of voxstate is recognised by another.
const AGENT_DEFINITION = Symbol.for('voxstate.agentDefinition');

/** What an agent program's module exports by default (see defineAgent). */
export interface AgentDefinition<UserData extends Record<string, unknown> = Record<string, unknown>> {
  /** The job's entrypoint: runs once per job, with its JobContext. */
  entry: Entrypoint<UserData>;
  /** Runs once per process before its first job: load models into `proc.userData` (AgentServer's setupFnc). */
  prewarm?: (proc: JobProcess<UserData>) => unknown;
}

/**
 * Marks `agent` as the definition of an agent program, as agents-js's `defineAgent`. Export it
 * by default; its `entry` and `prewarm` are checked when the file is loaded (by `cli.runApp` and
 * in each job process), where a missing one is an AgentModuleError.
 *
 * @param agent - the job's `entry` and, optionally, the process's `prewarm`
 * @returns `agent` itself, marked
 * @example
 * ```ts
 * export default defineAgent({
 *   prewarm: async (proc: JobProcess) => { proc.userData.vad = await silero.VAD.load(); },
 *   entry: async (ctx: JobContext) => { ... },
 * });
 * cli.runApp(new ServerOptions({ agent: fileURLToPath(import.meta.url) }));
 * ```
 */
export function defineAgent<UserData extends Record<string, unknown> = Record<string, unknown>>(
  agent: AgentDefinition<UserData>,
): AgentDefinition<UserData> {
  if (typeof agent !== 'object' || agent === null) {
    throw new AgentModuleError('agent_definition_invalid', `defineAgent takes an object with entry (and prewarm), got ${agent === null ? 'null' : typeof agent}`);
  }
  Object.defineProperty(agent, AGENT_DEFINITION, { value: true });
  return agent;
}

/** Whether `value` was made by defineAgent (its fields are not checked here). */
export function isAgent(value: unknown): value is AgentDefinition {
  return typeof value === 'object' && value !== null && AGENT_DEFINITION in value;
}

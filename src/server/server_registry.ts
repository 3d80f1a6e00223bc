/**
 * The AgentServers this process registered, by the file that registered their entrypoint. A job
 * process (or thread) imports the agent's module again and finds its server here: the module's
 * `server.rtcSession(...)` call registers it, as it did in the parent.
 */
import { realpathSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AgentServer } from './agent_server.js';

// One registry per process (per thread), even if two copies of voxstate were loaded.
const REGISTRY = Symbol.for('voxstate.agentServers');
type Registry = Map<string, AgentServer>;

function registry(): Registry {
  const holder = globalThis as { [REGISTRY]?: Registry };
  holder[REGISTRY] ??= new Map();
  return holder[REGISTRY];
}

function canonical(file: string): string {
  try {
    return realpathSync(file);
  } catch {
    return resolve(file);
  }
}

/** Records that `module` registered `server`'s entrypoint (the latest registration wins). */
export function registerServer<U extends Record<string, unknown>>(module: string | undefined, server: AgentServer<U>): void {
  // The job runner only starts jobs and prewarms: it never looks at the user data's type.
  if (module !== undefined) registry().set(canonical(module), server as unknown as AgentServer);
}

/** The server whose entrypoint `module` registered, if it did. */
export function registeredServer(module: string): AgentServer | undefined {
  return registry().get(canonical(module));
}

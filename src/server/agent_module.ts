/**
 * An agent program's module, loaded by path: the file ServerOptions' `agent` names, read by
 * `cli.runApp` in the program's process and imported again by every job process (or thread),
 * where its top level runs once more. Whatever is wrong with it is an AgentModuleError, the same
 * in both places.
 */
import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { VoxstateError, describe } from '../errors.js';
import { AgentServer } from './agent_server.js';
import { isAgent, type AgentDefinition } from './define_agent.js';
import { AgentModuleError } from './errors.js';
import { registeredServer } from './server_registry.js';

/**
 * How a job process finds the entrypoint of the module it imports: the module registers it with
 * `server.rtcSession(...)` (its AgentServer and options are its own), or exports
 * `defineAgent(...)` by default (the options live in the worker's ServerOptions, so the worker
 * sends the ones the job process needs).
 */
export type ModuleEntry = { from: 'rtcSession' } | { from: 'defaultExport'; agentName: string; initializeProcessTimeout: number };

/** The agent module at `path` (a file path, relative to the working directory, or a file: URL), checked to be a file. */
export function agentFile(path: string): string {
  const file = resolve(path.startsWith('file:') ? fileURLToPath(path) : path);
  let isFile: boolean;
  try {
    isFile = statSync(file).isFile();
  } catch {
    throw new AgentModuleError('agent_not_found', `the agent module ${file} does not exist`);
  }
  if (!isFile) throw new AgentModuleError('agent_not_found', `the agent module ${file} is not a file`);
  // The real path: the program's own module is then the one already loaded, not a second copy.
  return realpathSync(file);
}

async function importModule(file: string): Promise<Record<string, unknown>> {
  try {
    return (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    throw new VoxstateError('agent_import_failed', `the agent module ${file} could not be loaded: ${describe(error)}`, { cause: error });
  }
}

/**
 * Imports the agent module at `path` and returns its default export, checked to be a definition
 * made by defineAgent with an `entry` function. Throws an AgentModuleError when it is not.
 */
export async function loadAgentDefinition(path: string): Promise<{ file: string; definition: AgentDefinition }> {
  const file = agentFile(path);
  const module = await importModule(file);
  const exported = module.default;
  // A CommonJS module's exports arrive as the default export, its own default inside them.
  const definition = isAgent(exported) ? exported : isAgent((exported as { default?: unknown } | undefined)?.default) ? (exported as { default: AgentDefinition }).default : undefined;
  if (definition === undefined) {
    if (exported === undefined) {
      throw new AgentModuleError('agent_no_default_export', `the agent module ${file} has no default export: export its definition, \`export default defineAgent({ entry })\``);
    }
    throw new AgentModuleError(
      'agent_not_defined',
      `the default export of the agent module ${file} was not made by defineAgent: export \`defineAgent({ entry, prewarm })\``,
    );
  }
  if (typeof definition.entry !== 'function') {
    const keys = Object.keys(definition);
    throw new AgentModuleError(
      'agent_definition_invalid',
      `the agent defined in ${file} has no entry function: defineAgent({ entry: async (ctx) => { … } }) (it has ${keys.length > 0 ? keys.join(', ') : 'no fields'})`,
    );
  }
  if (definition.prewarm !== undefined && typeof definition.prewarm !== 'function') {
    throw new AgentModuleError('agent_definition_invalid', `the agent defined in ${file} has a prewarm that is not a function`);
  }
  return { file, definition };
}

/**
 * The AgentServer of the agent module `module`, in a job process: imported, its entrypoint found
 * as `entry` says. `shutdownProcessTimeout` bounds the shutdown callbacks of a defineAgent module's jobs.
 */
export async function loadAgentServer(module: string, entry: ModuleEntry, shutdownProcessTimeout: number): Promise<AgentServer> {
  if (entry.from === 'defaultExport') {
    const { file, definition } = await loadAgentDefinition(module);
    return AgentServer.fromAgentDefinition(definition, file, {
      agentName: entry.agentName,
      initializeProcessTimeout: entry.initializeProcessTimeout,
      shutdownProcessTimeout,
    });
  }
  await importModule(module);
  const server = registeredServer(module);
  if (server === undefined) throw new VoxstateError('no_entrypoint', `${module} did not register an entrypoint with server.rtcSession(...)`);
  return server;
}

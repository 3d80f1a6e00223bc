/** What can be wrong with an agent program's entry point, as typed errors (see src/errors.ts). */
import { ConfigurationError } from '../errors.js';

/**
 * The agent module named by ServerOptions' `agent` cannot serve as one: the path is not a file
 * (`agent_not_found`), it has no default export (`agent_no_default_export`), its default export
 * was not made by defineAgent (`agent_not_defined`), or the definition lacks its `entry` or has a
 * `prewarm` that is not a function (`agent_definition_invalid`). The CLI prints the message and
 * exits 2.
 */
export class AgentModuleError extends ConfigurationError {}

/** ServerOptions voxstate does not know, or cannot honour. The CLI prints the message and exits 2. */
export class ServerOptionsError extends ConfigurationError {
  constructor(message: string) {
    super('server_options_invalid', message);
  }
}

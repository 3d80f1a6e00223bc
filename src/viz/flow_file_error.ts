/** What can be wrong with a file given to `voxstate viz`, as a typed error (see src/errors.ts). */
import { ConfigurationError } from '../errors.js';

/**
 * The file cannot be drawn: it does not exist or is not a file (`flow_file_not_found`), importing
 * it failed (`flow_file_import_failed`), or it exports no flow and no state machine
 * (`flow_file_empty`). The message is one line; the command prints it and exits 1.
 */
export class FlowFileError extends ConfigurationError {}

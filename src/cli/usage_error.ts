/** A command-line mistake: reported as one line, exit code 2. */
import { ConfigurationError } from '../errors.js';

export class UsageError extends ConfigurationError {
  constructor(message: string) {
    super('usage', message);
  }
}

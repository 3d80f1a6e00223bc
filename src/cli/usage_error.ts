/** A command-line mistake: reported as one line, exit code 2. */
import { VoxstateError } from '../errors.js';

export class UsageError extends VoxstateError {
  constructor(message: string) {
    super('usage', message);
  }
}

/** A session report the inspector cannot replay. */
import { VoxstateError } from '../errors.js';

/**
 * A file given to replay (`--replay`, `startInspection({ replay })`, a file dropped on the page)
 * that is not a session report this voxstate reads, or whose machines cannot be drawn. `problem`
 * says what is wrong in words the page shows as they are.
 */
export class InvalidReportError extends VoxstateError {
  constructor(readonly problem: string) {
    super('invalid_report', problem);
  }
}

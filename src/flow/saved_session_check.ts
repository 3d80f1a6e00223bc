/**
 * Reading a SavedSession back from storage: what was stored may be from another voxstate version,
 * hand-edited or cut short, and a flow must not be restored from it half-checked.
 */
import { describe } from '../errors.js';
import { SAVED_SESSION_VERSION, type SavedSession } from './saved_session.js';
import { SnapshotStoreError } from './snapshot_store_error.js';

/**
 * Parses `text` (JSON) as a SavedSession; `where` names the file or key for the error message.
 * Throws SnapshotStoreError (kind 'data') saying what is wrong.
 */
export function parseSavedSession(text: string, where: string): SavedSession {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const what = text.trim() === '' ? 'it is empty' : `${(error as Error).message}`;
    throw new SnapshotStoreError('data', `${where} is not JSON (${what})`, { cause: error });
  }
  return readSavedSession(value, where);
}

/**
 * `value` as a SavedSession of SAVED_SESSION_VERSION, checked field by field; `where` names the file
 * or key for the error message. Throws SnapshotStoreError (kind 'data') saying what is wrong.
 */
export function readSavedSession(value: unknown, where: string): SavedSession {
  const fail = (problem: string): never => {
    throw new SnapshotStoreError('data', `${where} is not a saved session: ${problem}`);
  };
  if (!isRecord(value)) return fail(`it holds ${kindOf(value)}, not an object`);
  if (value.version !== SAVED_SESSION_VERSION) {
    return fail(`${'version' in value ? `its version is ${JSON.stringify(value.version)}` : 'it has no version'}, this voxstate reads version ${SAVED_SESSION_VERSION}`);
  }
  const wrong: string[] = [];
  if (typeof value.savedAt !== 'number' || !Number.isFinite(value.savedAt)) wrong.push('savedAt (a number)');
  if (typeof value.flowId !== 'string') wrong.push('flowId (a string)');
  if (!isRecord(value.flow)) wrong.push('flow (an object)');
  if (typeof value.agent !== 'string') wrong.push('agent (a string)');
  if (!Array.isArray(value.history)) wrong.push('history (an array)');
  if (wrong.length > 0) return fail(`missing or wrong ${wrong.join(', ')}`);
  return value as unknown as SavedSession;
}

/**
 * `session` as JSON, after the same checks as a load makes (a session that could not be loaded
 * back is refused when it is saved, not found out when it is loaded). Throws SnapshotStoreError
 * (kind 'data').
 */
export function stringifySavedSession(session: SavedSession, where: string): string {
  readSavedSession(session, where);
  try {
    return JSON.stringify(session);
  } catch (error) {
    throw new SnapshotStoreError('data', `${where} cannot be written as JSON: ${describe(error)}`, { cause: error });
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

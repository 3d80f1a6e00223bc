/**
 * Which speech the running code belongs to. Tools and hooks run inside the scope of the speech
 * that triggered them, so the session can tell "drain() called by the tool of this very speech"
 * (which must not wait for itself) from any other caller.
 */
import { runScoped, scoped, scopeKey } from '../async_scope.js';
import type { SpeechHandle } from './speech_handle.js';

const SPEECH = scopeKey<SpeechHandle>('speech');

export function runInSpeech<T>(speech: SpeechHandle, fn: () => T): T {
  return runScoped(SPEECH, speech, fn);
}

/** The speech whose tool or hook is running, if any. */
export function currentSpeech(): SpeechHandle | undefined {
  return scoped(SPEECH);
}

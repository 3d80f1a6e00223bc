/**
 * Which speech the running code belongs to. Tools and hooks run inside the scope of the speech
 * that triggered them, so the session can tell "drain() called by the tool of this very speech"
 * (which must not wait for itself) from any other caller.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { SpeechHandle } from './speech_handle.js';

const scope = new AsyncLocalStorage<SpeechHandle>();

export function runInSpeech<T>(speech: SpeechHandle, fn: () => T): T {
  return scope.run(speech, fn);
}

/** The speech whose tool or hook is running, if any. */
export function currentSpeech(): SpeechHandle | undefined {
  return scope.getStore();
}

/**
 * What a running tool call can reach: the session (typed by its userData), the speech whose
 * reply called the tool, and the call itself. agents-js's RunContext, passed as `ctx` in the
 * tool's options.
 */
import type { AgentSession } from '../session/agent_session.js';
import type { SpeechHandle } from '../speech/speech_handle.js';
import type { FunctionCall } from './chat_context.js';

export class RunContext<UserData = unknown> {
  constructor(
    /** The session the call belongs to. */
    readonly session: AgentSession<UserData>,
    /** The speech whose reply asked for the call. */
    readonly speechHandle: SpeechHandle,
    /** The call as the history holds it (name, callId, the arguments as the LLM sent them). */
    readonly functionCall: FunctionCall,
  ) {}

  /** The session's userData (AgentSession's `userData` option). */
  get userData(): UserData {
    return this.session.userData;
  }
}

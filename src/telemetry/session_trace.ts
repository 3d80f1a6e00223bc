/** What the parts of one session's trace share. @internal */
import type { Span, Tracer } from '@opentelemetry/api';
import type { AgentSession } from '../session/agent_session.js';

export interface SessionTrace {
  readonly session: AgentSession;
  readonly tracer: Tracer;
  /** Whether spans carry content (see TracingOptions.recordContent). */
  readonly recordContent: boolean;
  /** The session's own span (`agent_session`). */
  readonly span: Span;
  /** `fn`, safe to call from the session's machinery: a failure is the session's `error` event (see guarded). */
  guard<A extends unknown[]>(what: string, fn: (...args: A) => void): (...args: A) => void;
}

/**
 * OpenTelemetry traces of jobs and sessions, through `@opentelemetry/api`: a no-op until the
 * application registers an SDK (or gives a provider to setTracing). See session_tracing.ts for
 * the tree and trace_names.ts for the names.
 */
export { setTracing, TRACER_NAME, type TracingOptions } from './tracing_options.js';
export { TracingError } from './tracing_error.js';
export { SPAN, EVENT, ATTR } from './trace_names.js';

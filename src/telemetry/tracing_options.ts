/**
 * How voxstate traces: with which tracer, and whether spans carry content. Process-wide, as an
 * OpenTelemetry tracer provider is; read when a job or a session starts.
 */
import { trace, type Tracer, type TracerProvider } from '@opentelemetry/api';
import { sdkVersion } from '../server/health_server.js';

/** The instrumentation scope of voxstate's spans. */
export const TRACER_NAME = 'voxstate';

export interface TracingOptions {
  /**
   * Where voxstate's spans go. Default: the global provider (`trace.getTracerProvider()`), which
   * is a no-op until the application registers an OpenTelemetry SDK, so tracing costs next to
   * nothing then. Give one to trace voxstate without registering a global provider.
   */
  tracerProvider?: TracerProvider;
  /**
   * Record content: what the user said, tool arguments and outputs, error messages and the room's
   * name (`lk.pii.*` attributes, `exception.message`). Default false: names, ids, durations, token
   * counts and model labels only. Even when recorded, credentials in content are masked.
   */
  recordContent?: boolean;
}

let current: TracingOptions = {};

/**
 * Sets how voxstate traces, for the jobs and sessions started from now on; `setTracing({})`
 * restores the defaults.
 *
 * @example
 * const provider = new NodeTracerProvider({ spanProcessors: [new BatchSpanProcessor(new OTLPTraceExporter())] });
 * setTracing({ tracerProvider: provider, recordContent: true });
 */
export function setTracing(options: TracingOptions): void {
  if (options === null || typeof options !== 'object') throw new TypeError('setTracing() needs an object: { tracerProvider?, recordContent? }');
  current = { ...options };
}

/**
 * The tracer for a job or session starting now. Asked of the provider each time (which is cheap):
 * a tracer kept from before would miss a provider registered, or replaced, since.
 * @internal
 */
export function currentTracing(): { tracer: Tracer; recordContent: boolean } {
  const provider = current.tracerProvider ?? trace.getTracerProvider();
  return { tracer: provider.getTracer(TRACER_NAME, sdkVersion()), recordContent: current.recordContent === true };
}

/**
 * An OpenTelemetry SDK for a test file: every test runs with a BasicTracerProvider registered as
 * the global one, its spans kept in memory (SimpleSpanProcessor: exported as each ends), and the
 * spans started but not ended tracked; after the test the provider is unregistered and shut down.
 */
import { trace, type Context } from '@opentelemetry/api';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type ReadableSpan,
  type Span,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { afterEach, beforeEach } from 'vitest';

/** Remembers the spans started and not yet ended. */
class OpenSpans implements SpanProcessor {
  readonly open = new Set<Span>();
  onStart(span: Span, _parentContext: Context): void {
    this.open.add(span);
  }
  onEnd(span: ReadableSpan): void {
    this.open.delete(span as Span);
  }
  async forceFlush(): Promise<void> {}
  async shutdown(): Promise<void> {}
}

export interface InMemoryTracing {
  /** The spans ended so far, in the order they ended. */
  spans(): ReadableSpan[];
  /** The names of the spans started and not ended. */
  open(): string[];
  /** A provider of its own (not registered), for tests that give one to setTracing(). */
  provider(): BasicTracerProvider;
}

export function useInMemoryTracing(options: { global?: boolean } = {}): InMemoryTracing {
  // New for each test: shutting a provider down shuts its exporter down for good.
  let exporter = new InMemorySpanExporter();
  const open = new OpenSpans();
  let provider: BasicTracerProvider | undefined;
  beforeEach(() => {
    exporter = new InMemorySpanExporter();
    provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter), open] });
    if (options.global !== false) trace.setGlobalTracerProvider(provider);
  });
  afterEach(async () => {
    if (options.global !== false) trace.disable();
    await provider?.shutdown();
    open.open.clear();
  });
  return {
    spans: () => exporter.getFinishedSpans(),
    open: () => [...open.open].map((span) => span.name),
    provider: () => provider!,
  };
}

/** Reading recorded spans as a tree: names indented under their parents, siblings in start order. */
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';

const startOf = (span: ReadableSpan) => span.startTime[0] * 1e9 + span.startTime[1];

/** The spans as lines, each indented two spaces under its parent: `label(span)` (its name by default). */
export function spanTree(spans: readonly ReadableSpan[], label: (span: ReadableSpan) => string = (span) => span.name): string[] {
  const ids = new Set(spans.map((span) => span.spanContext().spanId));
  const children = new Map<string | undefined, ReadableSpan[]>();
  for (const span of spans) {
    const parent = span.parentSpanContext?.spanId;
    const key = parent !== undefined && ids.has(parent) ? parent : undefined;
    children.set(key, [...(children.get(key) ?? []), span]);
  }
  const lines: string[] = [];
  const walk = (parent: string | undefined, depth: number) => {
    const under = [...(children.get(parent) ?? [])].sort((a, b) => startOf(a) - startOf(b) || a.name.localeCompare(b.name));
    for (const span of under) {
      lines.push(`${'  '.repeat(depth)}${label(span)}`);
      walk(span.spanContext().spanId, depth + 1);
    }
  };
  walk(undefined, 0);
  return lines;
}

/** The one span named `name` (fails the test when there is not exactly one). */
export function only(spans: readonly ReadableSpan[], name: string): ReadableSpan {
  const found = spans.filter((span) => span.name === name);
  if (found.length !== 1) throw new Error(`expected one ${name} span, found ${found.length}`);
  return found[0]!;
}

/** The parent of `span` among `spans`. */
export function parentOf(spans: readonly ReadableSpan[], span: ReadableSpan): ReadableSpan | undefined {
  return spans.find((candidate) => candidate.spanContext().spanId === span.parentSpanContext?.spanId);
}

/** A span's duration in ms. */
export function durationMs(span: ReadableSpan): number {
  return span.duration[0] * 1e3 + span.duration[1] / 1e6;
}

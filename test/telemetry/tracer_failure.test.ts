/**
 * A tracer that fails (a broken span processor, a provider that throws) never disturbs the job or
 * the session it traces: each failure is their `error` event (a TracingError, source "telemetry"),
 * logged, and the conversation goes on; the spans that could be made still are.
 */
import type { Span, SpanOptions, Context, Tracer, TracerProvider } from '@opentelemetry/api';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Writable } from 'node:stream';
import { AgentServer, AgentSession, LocalRoom, createLogger, type ErrorEvent } from '../../src/index.js';
import { TracingError, setTracing } from '../../src/telemetry/index.js';
import { FakeLLM } from '../../src/testing/fake_llm.js';
import { useFakeTime } from '../support/fake_time.js';
import { WeatherAgent } from '../support/weather_agent.js';
import { useInMemoryTracing } from './in_memory_tracing.js';
import { spanTree } from './span_tree.js';

useFakeTime();
const tracing = useInMemoryTracing({ global: false });
afterEach(() => setTracing({}));

/** The test's provider, except that starting a span named in `start`, or ending one named in `end`, throws. */
function failing(fails: { start?: string[]; end?: string[]; getTracer?: boolean }): TracerProvider {
  return {
    getTracer(name, version): Tracer {
      if (fails.getTracer) throw new Error('no tracer today');
      const real = tracing.provider().getTracer(name, version);
      return {
        startSpan(spanName: string, options?: SpanOptions, context?: Context): Span {
          if (fails.start?.includes(spanName)) throw new Error(`cannot start ${spanName}`);
          const span = real.startSpan(spanName, options, context);
          if (!fails.end?.includes(spanName)) return span;
          return new Proxy(span, {
            get: (target, key) =>
              key === 'end'
                ? () => {
                    throw new Error(`cannot end ${spanName}`);
                  }
                : Reflect.get(target, key, target),
          });
        },
        startActiveSpan: real.startActiveSpan.bind(real) as Tracer['startActiveSpan'],
      };
    },
  };
}

/** A typed turn about the weather (a tool call, then the answer), then the session closes. */
async function weatherTurn() {
  const session = new AgentSession({ llm: new FakeLLM([{ toolCalls: [{ name: 'get_weather', arguments: { city: 'Oslo' } }], ttftMs: 100 }, { text: 'Sunny in Oslo.', ttftMs: 100 }]) });
  const errors: ErrorEvent[] = [];
  session.on('error', (event) => errors.push(event));
  await session.start({ agent: new WeatherAgent() });
  const run = session.run({ userInput: 'weather in Oslo?' });
  await vi.advanceTimersByTimeAsync(1_000);
  await run;
  const closed = session.aclose();
  await vi.advanceTimersByTimeAsync(10);
  await closed;
  expect(session.history.messages().map((message) => message.content)).toEqual(['weather in Oslo?', 'Sunny in Oslo.']);
  return errors;
}

describe('a failing tracer', () => {
  it('that cannot start the tool span: the turn is answered, the failure reported, every other span made', async () => {
    setTracing({ tracerProvider: failing({ start: ['function_tool'] }) });
    const errors = await weatherTurn();
    expect(errors).toHaveLength(1);
    expect(errors[0]!.source).toBe('telemetry');
    expect(errors[0]!.error).toBeInstanceOf(TracingError);
    expect(errors[0]!.error.message).toBe("tracing the session's function_tool_started failed: cannot start function_tool");
    expect(tracing.open()).toEqual([]);
    expect(spanTree(tracing.spans())).toEqual(['agent_session', '  agent_activity', '    on_enter', '    user_turn', '      agent_turn', '      agent_turn', '    on_exit']);
  });

  it("that throws as an agent's hook span ends (inside the agent actor's subscription): reported, and the agent's lifecycle goes on", async () => {
    setTracing({ tracerProvider: failing({ end: ['on_enter'] }) });
    const errors = await weatherTurn();
    expect(errors.map((event) => [event.source, event.error.message])).toEqual([['telemetry', "tracing an agent's lifecycle failed: cannot end on_enter"]]);
    expect(tracing.open()).toEqual(['on_enter']);
    expect(spanTree(tracing.spans())).toContain('    on_exit');
  });

  it('whose provider has no tracer: the session and the job run untraced, each reporting it once', async () => {
    setTracing({ tracerProvider: failing({ getTracer: true }) });
    const server = new AgentServer();
    const sessionErrors: ErrorEvent[] = [];
    server.rtcSession(async (ctx) => {
      const session = new AgentSession();
      session.on('error', (event) => sessionErrors.push(event));
      await session.start({ agent: new WeatherAgent() });
      session.say('Hello.');
    });
    const lines: Array<Record<string, unknown>> = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        for (const line of String(chunk).split('\n').filter(Boolean)) lines.push(JSON.parse(line));
        done();
      },
    });
    // The job's is reported as the job is made, before anyone can listen to it: its log line says so.
    const job = await server.startJob({ room: new LocalRoom(), job: { id: 'job-untraced' }, logger: createLogger(sink, { level: 'error' }) });
    await vi.advanceTimersByTimeAsync(10);
    job.ctx.shutdown('test over');
    await vi.advanceTimersByTimeAsync(1_000);
    const result = await job.result;
    expect(result.status).toBe('success');
    expect(job.ctx.primarySession?.history.messages().map((message) => message.content)).toEqual(['Hello.']);
    expect(sessionErrors.map((event) => [event.source, event.error.message])).toEqual([['telemetry', 'tracing the session failed: no tracer today']]);
    expect(lines.map((line) => [line.jobId, line.source, line.msg])).toEqual([
      ['job-untraced', 'telemetry', 'tracing the job failed: no tracer today'],
      ['job-untraced', 'telemetry', 'tracing the session failed: no tracer today'],
    ]);
    expect(tracing.spans()).toEqual([]);
  });
});

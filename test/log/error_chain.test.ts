/**
 * A provider that echoes the API key in its error answer: the key must reach no log line and no
 * error the user is given, through any part of the chain (message, cause, stack, nested fields).
 * The real openai SDK against the fake chat completions server; the log lines are read as written.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Agent, AgentSession, type ErrorEvent } from '../../src/index.js';
import { createLogger, rootLogger, setRootLogger, type Logger } from '../../src/log/logger.js';
import { OpenAILLM } from '../../src/plugins/openai/llm.js';
import { FakeOpenAIServer, status } from '../plugins/openai/fake_openai_server.js';
import { ScriptedOutput } from '../support/scripted_output.js';

let server: FakeOpenAIServer;
let previous: Logger;
const lines: string[] = [];

beforeEach(async () => {
  server = await FakeOpenAIServer.start();
  lines.length = 0;
  previous = rootLogger();
  setRootLogger(createLogger({ write: (line: string) => void lines.push(line) }, { level: 'debug' }));
});
afterEach(async () => {
  setRootLogger(previous);
  await server.close();
});

/** Every place the key could hide in OpenAI's error answer: the message, a nested field, a header echo. */
function echoingAnswer(key: string) {
  return status(401, {
    error: { message: `Incorrect API key provided: ${key}. You can find your API key at https://platform.openai.com.`, param: key, code: 'invalid_api_key' },
  });
}

async function failOnce(apiKey: string): Promise<ErrorEvent> {
  server.reply(echoingAnswer(apiKey));
  const session = new AgentSession({ llm: new OpenAILLM({ apiKey, baseURL: server.baseURL, connOptions: { maxRetry: 0, retryIntervalMs: 1, timeoutMs: 5_000 } }) });
  session.output = new ScriptedOutput();
  const failed = new Promise<ErrorEvent>((resolve) => session.on('error', resolve));
  await session.start({ agent: new Agent({ instructions: 'Be brief.' }) });
  await session.input.text('Hello?');
  const error = await failed;
  await session.aclose();
  return error;
}

/** Every string reachable from the error (message, stack, cause, nested fields), as a user's own logger could print it. */
function reachableText(value: unknown, seen = new Set<unknown>()): string {
  if (typeof value === 'string') return value;
  if (value === null || typeof value !== 'object' || seen.has(value)) return '';
  seen.add(value);
  const parts: string[] = [];
  if (value instanceof Error) parts.push(value.message, value.stack ?? '', reachableText(value.cause, seen));
  for (const key of Object.getOwnPropertyNames(value)) parts.push(reachableText((value as Record<string, unknown>)[key], seen));
  return parts.join('\n');
}

describe('secrets in error chains', () => {
  it.each([
    ['an sk- key (recognised by its form)', 'sk-proj-Zx81kQ0aLm2nB4vC6xD8eF0gH2iJ4kL6'],
    ['a key of no known form (known because the plugin was given it)', 'a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0'],
  ])('%s never reaches a log line or the reported error', async (_, key) => {
    const event = await failOnce(key);
    expect(event.error.message).toContain('HTTP 401');

    const logged = lines.join('');
    // The failure is logged, with its chain: the SDK's error is in it, only without the key.
    const errorLines = lines.map((line) => JSON.parse(line) as { level: number }).filter((line) => line.level >= 50);
    expect(errorLines.length).toBeGreaterThan(0);
    expect(logged).toContain('Incorrect API key provided');
    expect(logged).not.toContain(key);
    expect(logged).not.toContain(key.slice(-16));

    // The error handed to the user: its chain still says what happened, without the key.
    const text = reachableText(event.error);
    expect(text).toContain('Incorrect API key provided');
    expect(text).not.toContain(key);
  });

  it('a tool or hook whose exception quotes a key: the typed error and the log line mask it', async () => {
    const key = 'sk-live-9f8e7d6c5b4a39281706';
    const session = new AgentSession({});
    session.output = new ScriptedOutput();
    const failed = new Promise<ErrorEvent>((resolve) => session.on('error', resolve));
    class Leaky extends Agent {
      override async onEnter(): Promise<void> {
        throw new Error(`could not log in with ${key}`);
      }
    }
    await session.start({ agent: new Leaky({ instructions: 'x' }) });
    const event = await failed;
    await session.aclose();
    expect(event.error.message).toBe('leaky.onEnter failed: could not log in with sk-[redacted]');
    expect(reachableText(event.error)).not.toContain(key);
    expect(lines.join('')).toContain('could not log in with sk-[redacted]');
    expect(lines.join('')).not.toContain(key);
  });
});

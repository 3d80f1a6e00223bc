/**
 * Issue 13's proof by ports: agents written as agents-js 1.x users write them (weather_agent.ts,
 * story_agent.ts, router_agent.ts, weather_agent.spec.ts; each differs from its agents-js version
 * only in its import lines) type-check with the rest of the repository (npm test runs tsc first),
 * run in console mode as programs, and do under `session.run` what their code says. The voice
 * agent and the agents-js-style unit test also run against the real OpenAI plugin, pointed at a
 * fake OpenAI server on 127.0.0.1.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { voice } from '../../src/index.js';
import { FakeOpenAIServer, chunk, sse, textReply } from '../plugins/openai/fake_openai_server.js';
import { offlineEnv } from '../support/offline.js';
import { childEnv, startProgram } from '../support/program.js';
import { BillingAgent, FrontDeskAgent, type RouterData } from './router_agent.js';
import { IntroAgent, StoryAgent, type StoryData } from './story_agent.js';
import { WeatherAgent, type WeatherUserData } from './weather_agent.js';

const REPO = new URL('../..', import.meta.url);

/** A port run as its program in console mode (through tsx, as `npx tsx <file> console`). */
function consoleRun(file: string, env: Record<string, string> = {}) {
  return startProgram(process.execPath, ['--import', 'tsx', `test/compat/${file}`, 'console'], {
    cwd: REPO,
    env: { ...offlineEnv({ LOG_LEVEL: 'warn', FORCE_COLOR: '0' }), ...env },
  });
}

/** A tool call as OpenAI streams it, then its finish. */
function toolCallReply(name: string, args: Record<string, unknown>) {
  return sse([chunk.role(), chunk.toolCalls({ index: 0, id: `call_${name}`, name, arguments: JSON.stringify(args) }), chunk.finish('tool_calls'), chunk.usage(30, 8)]);
}

describe('the ports in console mode, as programs', () => {
  it('weather_agent.ts: prewarm loads Silero, the agent greets and answers a typed line; the job ends in success', async () => {
    const run = consoleRun('weather_agent.ts');
    await run.until('agent › Hi! Ask me about the weather anywhere.');
    run.child.stdin.write('hello there\n');
    await run.until('agent › You said: hello there');
    run.child.stdin.end();
    expect(await run.exited).toBe(0);
    expect(run.out()).toContain('job success (console input ended)');
  }, 60_000);

  it('story_agent.ts: the intro agent greets from onEnter (generateReply); the participant is found', async () => {
    const run = consoleRun('story_agent.ts');
    await run.until('participant joined: you');
    await run.until('agent › Hello!');
    run.child.stdin.write('I am Ada from Lyon\n');
    await run.until('agent › You said: I am Ada from Lyon');
    run.child.stdin.end();
    expect(await run.exited).toBe(0);
  }, 60_000);

  it('router_agent.ts: its tools hand off to billing and back (the offline LLM calls a tool the user names)', async () => {
    const run = consoleRun('router_agent.ts');
    await run.until('agent › Front desk, how can I help?');
    run.child.stdin.write('toBilling\n');
    await run.until('agent › Billing here.');
    run.child.stdin.write('backToFrontDesk\n');
    await run.until(/agent › Billing here\.[\s\S]*agent › Front desk, how can I help\?/);
    run.child.stdin.end();
    expect(await run.exited).toBe(0);
    expect(run.out().match(/agent › Front desk, how can I help\?/g)).toHaveLength(2);
  }, 60_000);
});

describe('the ports against the real OpenAI plugin and a fake OpenAI server', () => {
  let server: FakeOpenAIServer;
  beforeEach(async () => {
    server = await FakeOpenAIServer.start();
  });
  afterEach(() => server.close());

  const openaiEnv = () => ({ OPENAI_API_KEY: 'sk-compat-ports-0123456789', OPENAI_BASE_URL: server.baseURL });

  it('weather_agent.ts in console mode: the tool runs with the typed userData, the reply is spoken, metrics are logged by logMetrics', async () => {
    server.reply(toolCallReply('getWeather', { location: 'Paris' }), textReply(['It is sunny and 21 degrees ', 'Celsius in Paris.']));
    const run = consoleRun('weather_agent.ts', { ...openaiEnv(), LOG_LEVEL: 'info' });
    await run.until('agent › Hi! Ask me about the weather anywhere.');
    run.child.stdin.write('What is the weather in Paris?\n');
    await run.until('agent › It is sunny and 21 degrees Celsius in Paris.');
    run.child.stdin.end();
    expect(await run.exited).toBe(0);

    // The tool's output, made from the session's userData (unit: celsius), went back to the model.
    const second = server.requests[1]!.body as { messages: Array<{ role: string; content?: unknown }>; tools: Array<{ function: { name: string } }> };
    expect(second.messages.at(-1)).toMatchObject({ role: 'tool', content: 'It is sunny and 21 degrees Celsius in Paris.' });
    expect(second.tools.map((tool) => tool.function.name).sort()).toEqual(['getWeather', 'setUnit']);
    const lines = run.err().trim().split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as { msg: string; usage?: unknown; lookups?: string[] });
    expect(lines.filter((line) => line.msg === 'LLM metrics')).toHaveLength(2);
    const summary = lines.find((line) => line.msg === 'session usage summary');
    expect(summary?.lookups).toEqual(['Paris']);
    expect(JSON.stringify(summary?.usage)).toContain('"llm_usage"');
  }, 60_000);

  /** The agents-js-style unit test, in a vitest of its own whose OpenAI plugin talks to the fake server. */
  function runSpec() {
    return startProgram(process.execPath, ['node_modules/vitest/vitest.mjs', 'run', '--config', 'test/compat/spec.vitest.config.ts'], {
      cwd: REPO,
      env: childEnv({ ...openaiEnv(), NO_COLOR: '1', FORCE_COLOR: '0' }),
    });
  }

  it('weather_agent.spec.ts passes: tool call, its output, and a reply the judge grades as meeting the intent', async () => {
    server.reply(
      toolCallReply('getWeather', { location: 'Tokyo' }),
      textReply(['It is sunny and 21 degrees Celsius in Tokyo.']),
      toolCallReply('check_intent', { success: true, reason: 'It says sunny and gives Celsius.' }),
    );
    const spec = runSpec();
    expect(await spec.exited, `${spec.out()}\n${spec.err()}`).toBe(0);
    expect(spec.out()).toMatch(/Tests\s+1 passed/);
    // The judge was asked with its check_intent tool, the intent and the agent's message.
    const judged = server.requests[2]!.body as { tools: Array<{ function: { name: string } }>; messages: Array<{ content?: unknown }> };
    expect(judged.tools.map((tool) => tool.function.name)).toEqual(['check_intent']);
    expect(JSON.stringify(judged.messages)).toContain('It is sunny and 21 degrees Celsius in Tokyo.');
  }, 120_000);

  it('weather_agent.spec.ts fails, with the judge’s reason, when the judge finds the intent not met', async () => {
    server.reply(
      toolCallReply('getWeather', { location: 'Tokyo' }),
      textReply(['It is sunny in Tokyo.']),
      toolCallReply('check_intent', { success: false, reason: 'No temperature is given.' }),
    );
    const spec = runSpec();
    expect(await spec.exited).toBe(1);
    expect(`${spec.out()}${spec.err()}`).toContain('No temperature is given.');
  }, 120_000);
});

describe('the ports under session.run, with agents-js’s FakeLLM keyed by input', () => {
  it('weather: the tool sees and updates the typed userData', async () => {
    const session = new voice.AgentSession<WeatherUserData>({
      llm: new voice.testing.FakeLLM([
        { input: 'Use fahrenheit please.', toolCalls: [{ name: 'setUnit', args: { unit: 'fahrenheit' } }] },
        { input: 'Temperatures are now in fahrenheit.', content: 'Done.' },
        { input: 'And in Oslo?', toolCalls: [{ name: 'getWeather', args: { location: 'Oslo' } }] },
        { input: 'It is sunny and 70 degrees Fahrenheit in Oslo.', content: 'Sunny, 70 °F in Oslo.' },
      ]),
      userData: { unit: 'celsius', lookups: [] },
    });
    await session.start({ agent: new WeatherAgent() });
    await session.run({ userInput: 'Use fahrenheit please.' });
    const result = await session.run({ userInput: 'And in Oslo?' });
    result.expect.nextEvent().isFunctionCall({ name: 'getWeather', args: { location: 'Oslo' } });
    result.expect.nextEvent().isFunctionCallOutput({ output: 'It is sunny and 70 degrees Fahrenheit in Oslo.' });
    result.expect.nextEvent().isMessage({ role: 'assistant', content: 'Sunny, 70 °F in Oslo.' });
    result.expect.noMoreEvents();
    expect(session.userData).toEqual({ unit: 'fahrenheit', lookups: ['Oslo'] });
    await session.close();
  });

  it('story: the handoff returns its text to the LLM, fills userData, and the story agent asks for its story on entering', async () => {
    const userData: StoryData = {};
    const llm = new voice.testing.FakeLLM([{ input: 'I am Ada from Lyon.', toolCalls: [{ name: 'informationGathered', args: { name: 'Ada', location: 'Lyon' } }] }]);
    const session = new voice.AgentSession<StoryData>({ llm, userData });
    await session.start({ agent: IntroAgent.create() });
    const result = await session.run({ userInput: 'I am Ada from Lyon.' });
    result.expect.skipNextEventIf({ type: 'message', role: 'assistant' });
    result.expect.nextEvent().isFunctionCall({ name: 'informationGathered', args: { name: 'Ada', location: 'Lyon' } });
    result.expect.nextEvent().isFunctionCallOutput({ output: "Let's start the story!" });
    result.expect.nextEvent().isAgentHandoff({ newAgentType: StoryAgent });
    // The story agent's onEnter asked for a reply (the fake LLM, keyed by input, has nothing to
    // say after a handoff, as agents-js's), with its own instructions and the history so far.
    result.expect.noMoreEvents();
    expect(userData).toEqual({ name: 'Ada', location: 'Lyon' });
    expect(session.currentAgent).toBeInstanceOf(StoryAgent);
    const storyRequest = llm.requests.at(-1)!;
    expect(storyRequest.instructions).toContain('Tell a short story for Ada, who is from Lyon.');
    expect(storyRequest.chatCtx.items.at(-1)).toMatchObject({ type: 'agent_handoff', newAgentId: 'story_agent' });
    await session.close();
  });

  it('router: to billing, a billing tool, and back to the front desk, each handoff’s text in the history', async () => {
    const session = new voice.AgentSession<RouterData>({
      llm: new voice.testing.FakeLLM([
        { input: 'I need a copy of an invoice.', toolCalls: [{ name: 'toBilling', args: {} }] },
        { input: 'INV-42 please.', toolCalls: [{ name: 'sendInvoice', args: { invoiceId: 'INV-42' } }] },
        { input: 'Invoice INV-42 is on its way.', content: 'Sent. Anything else?' },
        { input: 'That is all.', toolCalls: [{ name: 'backToFrontDesk', args: {} }] },
      ]),
      userData: { transfers: 0, invoiceRequests: [] },
    });
    await session.start({ agent: new FrontDeskAgent() });

    const toBilling = await session.run({ userInput: 'I need a copy of an invoice.' });
    toBilling.expect.nextEvent().isFunctionCall({ name: 'toBilling' });
    toBilling.expect.nextEvent().isFunctionCallOutput({ output: 'Transferring you to billing.' });
    toBilling.expect.nextEvent().isAgentHandoff({ newAgentType: BillingAgent });
    toBilling.expect.nextEvent().isMessage({ role: 'assistant', content: 'Billing here.' });
    toBilling.expect.noMoreEvents();

    const invoice = await session.run({ userInput: 'INV-42 please.' });
    invoice.expect.range().containsFunctionCall({ name: 'sendInvoice', args: { invoiceId: 'INV-42' } });
    invoice.expect.range().containsMessage({ role: 'assistant', content: 'Sent. Anything else?' });

    const back = await session.run({ userInput: 'That is all.' });
    back.expect.nextEvent().isFunctionCall({ name: 'backToFrontDesk' });
    back.expect.nextEvent().isFunctionCallOutput({ output: 'Back to the front desk.' });
    back.expect.nextEvent().isAgentHandoff({ newAgentType: FrontDeskAgent });
    back.expect.nextEvent().isMessage({ role: 'assistant', content: 'Front desk, how can I help?' });

    expect(session.userData).toEqual({ transfers: 2, invoiceRequests: ['INV-42'] });
    await session.close();
  });
});

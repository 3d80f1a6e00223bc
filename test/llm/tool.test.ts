/** Declaring tools (llm.tool / functionTool) and giving them to an agent, as an array or a map. */
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Agent } from '../../src/agent/agent.js';
import * as llm from '../../src/llm/index.js';
import { parseToolArguments } from '../../src/llm/tool_parameters.js';
import { toolEntries } from '../../src/llm/tool_set.js';

const execute = async () => 'ok';

describe('tool()', () => {
  it('a named tool, and an anonymous one (named later by its key)', () => {
    const parameters = z.object({ city: z.string() });
    expect(llm.tool({ name: 'getWeather', description: 'The weather', parameters, execute })).toEqual({
      type: 'function',
      name: 'getWeather',
      description: 'The weather',
      parameters,
      execute,
    });
    const anonymous = llm.tool({ description: 'The weather', execute });
    expect(anonymous).not.toHaveProperty('name');
    expect(llm.toJsonSchema(anonymous.parameters)).toEqual({ type: 'object', properties: {}, additionalProperties: false });
  });

  it('a tool without parameters takes {}: no text, or whatever the LLM adds, is {}', async () => {
    const { parameters } = llm.tool({ description: 'Ends the call', execute });
    expect(await parseToolArguments(parameters, '')).toEqual({ ok: true, value: {} });
    expect(await parseToolArguments(parameters, '{"reason": "bye"}')).toEqual({ ok: true, value: {} });
  });

  it('functionTool (the seeds’ name) is the same function', () => {
    expect(llm.functionTool).toBe(llm.tool);
  });

  it.each([
    ['no description', { description: ' ', execute }, 'a tool: needs a description: it is what the LLM reads to decide when to call it'],
    ['no execute', { name: 'x', description: 'x' }, 'tool x: needs an execute function'],
    ['an empty name', { name: '', description: 'Looks up', execute }, 'tool described as "Looks up": a name must be a non-empty string'],
    ['not an object', 'lookup', 'a tool: tool() needs { description, parameters?, execute }'],
    ['parameters that are not a schema', { name: 'x', description: 'x', parameters: 'city', execute }, 'tool x: parameters must be a zod object schema'],
  ])('%s: a ToolDeclarationError', (_label, definition, message) => {
    const declare = () => llm.tool(definition as never);
    expect(declare).toThrow(llm.ToolDeclarationError);
    expect(declare).toThrow(message);
  });
});

describe("an agent's tools", () => {
  const getWeather = llm.tool({ name: 'getWeather', description: 'The weather', execute });
  const getTime = llm.tool({ name: 'getTime', description: 'The time', execute });
  const anonymous = llm.tool({ description: 'Something', execute });

  it('as an array of named tools, or a map of anonymous ones named by their keys: one list, in order', () => {
    const fromArray = new Agent({ instructions: 'x', tools: [getWeather, getTime] });
    expect(toolEntries(fromArray.tools, 'agent')).toEqual([
      { name: 'getWeather', tool: getWeather },
      { name: 'getTime', tool: getTime },
    ]);
    const fromMap = new Agent({ instructions: 'x', tools: { lookup: anonymous, getTime } });
    expect(toolEntries(fromMap.tools, 'agent')).toEqual([
      { name: 'lookup', tool: anonymous },
      { name: 'getTime', tool: getTime },
    ]);
  });

  it.each([
    ['a name given twice in an array', [getWeather, llm.tool({ name: 'getWeather', description: 'again', execute })], 'two tools are named getWeather: every name must be given once'],
    ['an anonymous tool in an array', [getWeather, anonymous], 'the tool at index 1 has no name: give it one (tool({ name, … })), or put it in a map under its name'],
    ['a named tool under another key in a map', { weather: getWeather }, 'the tool under key weather is named getWeather: leave its name out, or use it as the key'],
    ['something that is not a tool', { lookup: () => 'ok' }, 'the tool under key lookup is not a tool: declare it with tool({ … })'],
    ['neither an array nor a map', 'getWeather', 'must be an array of named tools or a map name → tool'],
  ])('%s: a ToolDeclarationError where the agent is declared, naming it', (_label, tools, problem) => {
    const declare = () => new Agent({ instructions: 'x', id: 'front', tools: tools as never });
    expect(declare).toThrow(llm.ToolDeclarationError);
    expect(declare).toThrow(`agent front's tools: ${problem}`);
  });
});

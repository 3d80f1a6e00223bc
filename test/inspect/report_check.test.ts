/**
 * Reading a session report for the inspector's replay (readReport, the check the server and the
 * page share) and the states a definition's state value is in (activeStateIdsIn, what the page
 * highlights): on the hand-written clinic fixture, on a report a real session makes, and on every
 * kind of bad file, which must get words naming what is wrong, never an exception.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { StateValue } from 'xstate';
import { allStateNodes } from '../../src/flow/flow_graph.js';
import { activeStateIdsIn } from '../../src/inspect/definition_states.js';
import { activeStateIds } from '../../src/inspect/machine_diagrams.js';
import { readReport } from '../../src/inspect/report_check.js';
import { AgentSession, makeSessionReport } from '../../src/index.js';
import { SESSION_REPORT_VERSION, type SessionReport } from '../../src/report/session_report.js';
import { FakeLLM } from '../../src/testing/index.js';
import { exportedMachines } from '../../src/viz/index.js';
import { clinicMachine as exampleClinicMachine } from '../../examples/clinic_flow.js';
import { clinicFlow, clinicMachine, type Visit } from '../fixtures/flows/clinic_flow.js';

const FIXTURE = new URL('../fixtures/reports/clinic_report.json', import.meta.url);
const text = readFileSync(FIXTURE, 'utf8');
const fixture = JSON.parse(text) as SessionReport;
const read = (value: unknown) => readReport(typeof value === 'string' ? value : JSON.stringify(value), SESSION_REPORT_VERSION);
/** The fixture with `change` applied to a copy. */
const edited = (change: (report: Record<string, unknown>) => void) => {
  const copy = JSON.parse(text) as Record<string, unknown>;
  change(copy);
  return read(copy);
};

describe('readReport', () => {
  it('reads the clinic fixture: the report as it is, no problem', () => {
    const reading = read(text);
    expect(reading.problem).toBeUndefined();
    expect(reading.report).toEqual(fixture);
    // A byte-order mark (an editor on Windows) is no problem either.
    expect(read(`\uFEFF${text}`).report).toEqual(fixture);
  });

  it('a file that is not JSON: says so, with where the parser stopped when it knows', () => {
    expect(read('').problem).toBe('the file is empty');
    expect(read('  \n').problem).toBe('the file is empty');
    expect(read('<!doctype html><html></html>').problem).toMatch(/^the file is not JSON: Unexpected token '<'/);
    expect(read('{"version": 1,\n "createdAt": 12,,}').problem).toMatch(/^the file is not JSON: .+ at line 2, column 18$/);
  });

  it('a truncated file: "unexpected end", where, and that it looks cut short, wherever the cut falls', () => {
    for (const cut of [1, 10, 2_000, Math.floor(text.length / 2), text.length - 3]) {
      const problem = read(text.slice(0, cut)).problem;
      expect(problem, `cut at ${cut}`).toMatch(/^the file is not JSON: unexpected end at line \d+, column \d+: it stops in the middle \(was it cut short\?\)$/);
    }
    const lines = text.slice(0, 2_000).split('\n');
    expect(read(text.slice(0, 2_000)).problem).toContain(`line ${lines.length}, column ${lines.at(-1)!.length + 1}`);
  });

  it('another version, or none: "this report is version 2; this page reads version 1"', () => {
    expect(edited((r) => (r.version = 2)).problem).toBe('this report is version 2; this page reads version 1');
    expect(edited((r) => (r.version = 0)).problem).toBe('this report is version 0; this page reads version 1');
    expect(edited((r) => (r.version = '1')).problem).toBe('"version" is "1", not a number: this page reads version 1 reports');
    expect(edited((r) => delete r.version).problem).toBe('the file is JSON, but not a session report: it has no "version"');
    // The version is checked before anything else: a report of version 2 may have another shape.
    expect(read({ version: 2 }).problem).toBe('this report is version 2; this page reads version 1');
  });

  it('JSON that is not an object: says what it holds', () => {
    expect(read('[1, 2]').problem).toBe('the file is JSON, but not a session report: it holds an array, not an object');
    expect(read('null').problem).toBe('the file is JSON, but not a session report: it holds null, not an object');
    expect(read('"report"').problem).toBe('the file is JSON, but not a session report: it holds a string, not an object');
  });

  it('a required field missing or of the wrong kind: named by its path', () => {
    for (const field of ['createdAt', 'session', 'options', 'history', 'events', 'usage', 'metrics', 'timeline', 'machines']) {
      expect(edited((r) => delete r[field]).problem, field).toBe(`the report does not have the shape of a version 1 session report: ${field} is missing`);
    }
    expect(edited((r) => (r.timeline = {})).problem).toMatch(/: timeline is an object, not an array$/);
    expect(edited((r) => (r.createdAt = 'yesterday')).problem).toMatch(/: createdAt is a string \("yesterday"\), not a number$/);
    const entry = (index: number, change: (entry: Record<string, unknown>) => void) => edited((r) => change((r.timeline as Record<string, unknown>[])[index]!));
    expect(entry(3, (e) => delete e.at).problem).toMatch(/: timeline\[3\]\.at is missing$/);
    expect(entry(4, (e) => (e.actor = 7)).problem).toMatch(/: timeline\[4\]\.actor is a number \(7\), not a string$/);
    expect(entry(5, (e) => delete e.state).problem).toMatch(/: timeline\[5\]\.state is missing$/);
    expect(entry(6, (e) => (e.machine = 'router')).problem).toMatch(/: timeline\[6\]\.machine is "router", which is not among the report's machines \(job, session, clinic, agent, speech\)$/);
    expect(edited((r) => ((r.events as unknown[])[2] = 'speech_created')).problem).toMatch(/: events\[2\] is a string \("speech_created"\), not an object$/);
    expect(edited((r) => delete (r.history as Record<string, unknown>[])[0]!.createdAt).problem).toMatch(/: history\[0\]\.createdAt is missing$/);
    expect(edited((r) => delete (r.machines as Record<string, Record<string, unknown>>).speech!.states).problem).toMatch(/: machines\.speech\.states is missing$/);
  });

  it('a damaged file names its first problems, not thousands', () => {
    const problem = edited((r) => {
      for (const entry of r.timeline as Record<string, unknown>[]) delete entry.at;
    }).problem!;
    expect(problem.match(/timeline\[\d+\]\.at is missing/g)).toHaveLength(4);
    expect(problem).toMatch(/ \(and more\)$/);
  });

  it('an empty timeline: nothing to play back', () => {
    expect(edited((r) => (r.timeline = [])).problem).toBe("the report's timeline is empty: there is nothing to play back");
  });

  it('new fields within a version are let through', () => {
    expect(edited((r) => (r.recording = { audio: 'call.wav' })).report).toBeDefined();
  });

  it('never throws, whatever the text', () => {
    const texts = ['{', '}', '{"version":1,"machines":{"__proto__":{}}}', '{"version":1,"timeline":[null]}', '1e999', '"\\ud800"', '\u0000'];
    for (const sample of texts) expect(() => read(sample), sample).not.toThrow();
    // A machine named "__proto__" is one more machine, not the object's prototype.
    expect(edited((r) => (r.machines = JSON.parse('{"__proto__": {"id": "x"}}'))).problem).toContain('machines.__proto__.states is missing');
  });
});

describe('activeStateIdsIn', () => {
  it('gives the ids activeStateIds gives from the machine, for every state of every machine, from its JSON definition', () => {
    for (const { name, machine } of [...exportedMachines(), { name: 'clinic', machine: clinicMachine }]) {
      const definition = JSON.parse(JSON.stringify(machine.toJSON())) as unknown;
      // Every state the machine can be in: each of its leaves, completed by XState (its regions' initial states).
      const leaves = allStateNodes(machine).filter((node) => node.type === 'atomic' || node.type === 'final');
      for (const leaf of leaves) {
        const path = leaf.path as string[];
        const partial = path.slice(0, -1).reduceRight<StateValue>((inner, key) => ({ [key]: inner }), path.at(-1)!);
        const value = machine.resolveState({ value: partial, context: {} } as never).value;
        expect(activeStateIdsIn(definition, value), `${name} ${JSON.stringify(value)}`).toEqual(activeStateIds(machine, value));
      }
    }
  });

  it('skips what the definition lacks (a report of another machine version), never throws', () => {
    const definition = JSON.parse(JSON.stringify(clinicMachine.toJSON())) as unknown;
    expect(activeStateIdsIn(definition, 'nowhere')).toEqual(['clinic']);
    expect(activeStateIdsIn(definition, { visit: { talk: 'gone', records: 'ready' } })).toEqual(['clinic', 'clinic.visit', 'clinic.visit.talk', 'clinic.visit.records', 'clinic.visit.records.ready']);
    for (const value of [null, 3, ['a'], { toString: 'x' }, { __proto__: 'x' }]) expect(() => activeStateIdsIn(definition, value)).not.toThrow();
    for (const broken of [null, 'clinic', { states: {} }, { id: 5 }]) expect(activeStateIdsIn(broken, 'reception')).toEqual([]);
  });
});

describe('the clinic fixture', () => {
  it('each timeline entry names a machine of the report and a whole state of it: every region down to an atomic state', () => {
    for (const [index, entry] of fixture.timeline.entries()) {
      const definition = fixture.machines[entry.machine] as { id: string };
      const ids = activeStateIdsIn(definition, entry.state);
      // The fixture is a call to the clinic example.
      const machine = [...exportedMachines().map(({ machine }) => machine), exampleClinicMachine].find((m) => m.id === definition.id);
      expect(ids, `timeline[${index}]`).toEqual(activeStateIds(machine!, entry.state as string));
      // A whole state: XState reads it as it is (a name it lacks throws; a region left out would be filled in).
      expect(machine!.resolveState({ value: entry.state, context: {} } as never).value, `timeline[${index}]`).toEqual(entry.state);
    }
    expect(new Set(fixture.timeline.map((entry) => entry.actor))).toEqual(
      new Set(['job', 'session', 'flow clinic', 'agent receptionist', 'agent scheduler', 'agent confirmer', 'agent farewell', ...[1, 2, 3, 4, 5, 6, 7].map((n) => `speech speech_${n}`)]),
    );
    const times = fixture.timeline.map((entry) => entry.at);
    expect(times).toEqual([...times].sort((a, b) => a - b));
  });
});

describe('a report made by a session', () => {
  it('is read as it is, and each of its states is found in its machine definition', async () => {
    const llm = new FakeLLM([{ toolCalls: [{ name: 'caller_identified', arguments: { name: 'Ann' } }] }]);
    const session = new AgentSession<Visit>({ llm, userAwayTimeout: null });
    try {
      await session.start({ flow: clinicFlow });
      await session.run({ userInput: 'Hi, this is Ann.' });
      const report = makeSessionReport(session);
      const reading = read(report);
      expect(reading.problem).toBeUndefined();
      expect(reading.report).toEqual(JSON.parse(JSON.stringify(report)));
      expect(new Set(report.timeline.map((entry) => entry.machine))).toEqual(new Set(['session', 'agent', 'speech', 'clinic']));
      for (const entry of report.timeline) {
        const ids = activeStateIdsIn(report.machines[entry.machine], entry.state);
        expect(ids.length, `${entry.actor} ${JSON.stringify(entry.state)}`).toBeGreaterThan(1);
      }
      const flowStates = report.timeline.filter((entry) => entry.actor === 'flow clinic').map((entry) => entry.state);
      expect(flowStates).toContainEqual({ visit: { talk: 'booking', records: 'fetching' } });
    } finally {
      await session.aclose();
    }
  });
});

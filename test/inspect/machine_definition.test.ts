/**
 * A report's statecharts drawn as the live page draws machines: rebuilt from their JSON
 * definitions (machineFromDefinition) into the same graph, or, for a definition that is one of
 * voxstate's own machines, that machine's own diagram (replayDiagrams). A definition that is not
 * a statechart is an InvalidReportError naming the machine and the state, never a crash.
 */
import { describe, expect, it } from 'vitest';
import type { AnyStateMachine } from 'xstate';
import { clinicMachine } from '../../examples/clinic_flow.js';
import { InvalidReportError } from '../../src/inspect/invalid_report_error.js';
import { MAX_DEFINITION_STATES, machineFromDefinition } from '../../src/inspect/machine_definition.js';
import { machineDiagram } from '../../src/inspect/machine_diagrams.js';
import { MAX_REPORT_MACHINES, replayDiagrams } from '../../src/inspect/replay_diagrams.js';
import { exportedMachines, machineGraph, type VizGraph } from '../../src/viz/index.js';

const definitionOf = (machine: AnyStateMachine) => JSON.parse(JSON.stringify(machine.toJSON())) as Record<string, unknown>;
/** A graph as comparable data: its nodes, and its edges as text, in order. */
const shape = (graph: VizGraph) => ({ nodes: [...graph.nodes.values()], edges: graph.edges.map((edge) => JSON.stringify(edge)) });
const stateIdsOf = (svg: string) => [...svg.matchAll(/data-state-id="([^"]+)"/g)].map((match) => match[1]);
/** The problem machineFromDefinition (or replayDiagrams) throws, as text. */
const problemOf = (run: () => unknown) => {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(InvalidReportError);
    return (error as InvalidReportError).problem;
  }
  throw new Error('no problem was found');
};

describe('machineFromDefinition', () => {
  it("rebuilds each of voxstate's machines and the clinic flow into the graph the machine itself gives, but for what JSON cannot carry", () => {
    for (const { name, machine } of [...exportedMachines(), { name: 'clinic', machine: clinicMachine }]) {
      const original = shape(machineGraph(machine));
      const rebuilt = shape(machineGraph(machineFromDefinition(definitionOf(machine), `machines.${name}`)));
      expect(rebuilt.nodes, name).toEqual(original.nodes);
      // XState's JSON has no eventless transitions, and a guard written as a function (not(…), and(…)) is left out.
      const carried = machineGraph(machine).edges.filter((edge) => edge.kind !== 'always').map((edge) => JSON.stringify({ ...edge, label: edge.label.replace(/ \[(not|and|or)\(.*\)\]$/, '') }));
      expect(rebuilt.edges, name).toEqual(carried);
    }
  });

  it("keeps a flow's agents and tools: the diagram says who talks where and which transitions are the LLM's", () => {
    const { svg } = machineDiagram(machineFromDefinition(definitionOf(clinicMachine), 'machines.clinic'));
    expect(svg).toContain('agent: scheduler');
    expect(svg).toContain('tool: slot_chosen');
    expect(svg).toContain('after identifyTimeout');
    expect(stateIdsOf(svg)).toContain('clinic.call.conversation.booking.confirming');
  });

  it('refuses what is not a statechart, naming the machine and the state', () => {
    const name = 'machines.toggle';
    const toggle = () => ({
      id: 'toggle', key: 'toggle', type: 'compound', initial: { target: ['#toggle.off'] },
      states: { off: { id: 'toggle.off', key: 'off', type: 'atomic', states: {}, transitions: [{ eventType: 'flip', target: ['#toggle.on'] }] }, on: { id: 'toggle.on', key: 'on', type: 'atomic', states: {}, transitions: [] } },
      transitions: [],
    });
    expect(machineGraph(machineFromDefinition(toggle(), name)).nodes.size).toBe(3);
    const broken = (change: (definition: ReturnType<typeof toggle>) => void) => {
      const definition = toggle();
      change(definition);
      return problemOf(() => machineGraph(machineFromDefinition(definition, name)));
    };
    expect(problemOf(() => machineFromDefinition('toggle', name))).toBe('machines.toggle cannot be drawn: the root state is not a state');
    expect(broken((d) => delete (d.states.off as Record<string, unknown>).id)).toBe('machines.toggle cannot be drawn: toggle.off has no id');
    expect(broken((d) => (d.states.on.type = 'sometimes'))).toBe('machines.toggle cannot be drawn: toggle.on has no kind XState knows ("sometimes")');
    expect(broken((d) => (d.states.off.transitions = [{ eventType: 'flip', target: 'toggle.on' as never }]))).toBe(
      'machines.toggle cannot be drawn: toggle.off has a transition on flip whose target is not a list of "#state.id"',
    );
    expect(broken((d) => (d.states.off.transitions = [{ target: ['#toggle.on'] } as never]))).toBe('machines.toggle cannot be drawn: toggle.off has a transition (#1) without an event');
    expect(broken((d) => (d.states = {} as never))).toBe('machines.toggle cannot be drawn: toggle is compound but has no states');
    // A target that names no state is found when the transitions are read.
    expect(broken((d) => (d.states.off.transitions = [{ eventType: 'flip', target: ['#toggle.nowhere'] }]))).toMatch(/^machines\.toggle cannot be drawn: .*nowhere/);
  });

  it('is bounded: too many states, or states nested too deep, are refused before XState sees them', () => {
    const wide = { id: 'wide', type: 'parallel', states: Object.fromEntries(Array.from({ length: MAX_DEFINITION_STATES }, (_, i) => [`s${i}`, { id: `wide.s${i}`, type: 'atomic' }])) };
    expect(problemOf(() => machineFromDefinition(wide, 'machines.wide'))).toBe(`machines.wide cannot be drawn: the machine has more than ${MAX_DEFINITION_STATES} states`);
    let deep: Record<string, unknown> = { id: 'deep.leaf', type: 'atomic' };
    for (let depth = 0; depth < 40; depth += 1) deep = { id: `deep${depth}`, type: 'compound', states: { inner: deep } };
    expect(problemOf(() => machineFromDefinition(deep, 'machines.deep'))).toMatch(/is nested deeper than 32 states$/);
  });
});

describe('replayDiagrams', () => {
  it("gives a definition of voxstate's own machine that machine's diagram, eventless transitions and all; draws any other from its definition", async () => {
    const session = exportedMachines().find(({ name }) => name === 'session')!.machine;
    const diagrams = await replayDiagrams({ session: definitionOf(session), clinic: definitionOf(clinicMachine) });
    expect(diagrams.map((diagram) => diagram.id)).toEqual(['session', 'clinic']);
    expect(diagrams[0]!.svg).toBe(machineDiagram(session).svg);
    expect(stateIdsOf(diagrams[1]!.svg)).toEqual(stateIdsOf(machineDiagram(clinicMachine).svg));

    // Another version of the session machine (a state more): drawn from its definition.
    const older = definitionOf(session);
    const open = (older.states as Record<string, Record<string, Record<string, Record<string, unknown>>>>).open!;
    open.states!.user!.states = { ...(open.states!.user!.states as object), dozing: { id: 'session.open.user.dozing', key: 'dozing', type: 'atomic', states: {}, transitions: [] } };
    const [redrawn] = await replayDiagrams({ session: older });
    expect(stateIdsOf(redrawn!.svg)).toContain('session.open.user.dozing');
  });

  it('names the machine that cannot be drawn, and refuses more machines than a report has', async () => {
    await expect(replayDiagrams({ clinic: definitionOf(clinicMachine), broken: { id: 'broken', type: 'compound', states: {} } })).rejects.toThrow(
      new InvalidReportError('machines.broken cannot be drawn: broken is compound but has no states'),
    );
    const many = Object.fromEntries(Array.from({ length: MAX_REPORT_MACHINES + 1 }, (_, i) => [`m${i}`, {}]));
    await expect(replayDiagrams(many)).rejects.toThrow(`the report has ${MAX_REPORT_MACHINES + 1} machines; the page draws ${MAX_REPORT_MACHINES} at most`);
  });
});

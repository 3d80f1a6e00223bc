/**
 * The agents' activations in a session, as `agent_activity` spans under the session's, each with
 * its `on_enter` and `on_exit` spans; an AgentTask's activation is a child of the activation it
 * took over from (`paused` and `resumed` events on that one). A handoff is an `agent_handoff` event
 * on the session's span, between the activation that ended and the one that began.
 *
 * What says "agent X is in charge from t0 to t1": the session's agent stack reports each agent it
 * enters, with the actor of that activation (machines/agent.ts), as soon as the actor has started;
 * the actor then tells the rest as it happens: onEnter's end (entering → active), a task taking
 * over (paused) and handing back (resumed), onExit (exiting) and the activation's end (exited).
 * The start of onEnter runs inside the actor's start, before the report: what it says (a greeting)
 * asks for the activation in charge first, which is then found as the session's current agent with
 * an actor not seen yet.
 */
import type { Span } from '@opentelemetry/api';
import type { AnyActorRef, Subscription } from 'xstate';
import { AgentTask, type Agent } from '../agent/agent.js';
import type { AgentHandoffItem } from '../llm/chat_context.js';
import type { SessionTrace } from './session_trace.js';
import { endSpanAt, hrTime, startSpanAt } from './span_time.js';
import { ATTR, EVENT, SPAN } from './trace_names.js';

interface Activation {
  readonly span: Span;
  readonly startedAt: number;
  /** The actor's state when last seen. */
  state: string;
  exitingAt: number | undefined;
  subscription: Subscription | undefined;
  ended: boolean;
}

export class ActivationSpans {
  readonly #trace: SessionTrace;
  /** The open activations, the one in charge last (a task above the agent it took over from). */
  readonly #open: Activation[] = [];
  /** The actors of the activations traced so far. */
  readonly #seen = new WeakSet<AnyActorRef>();

  constructor(trace: SessionTrace) {
    this.#trace = trace;
  }

  /** The span of the activation in charge: user turns and speeches go under it. */
  get current(): Span | undefined {
    const agent = this.#trace.session.currentAgent;
    const actor = agent?.actor;
    // An agent whose onEnter is starting (see above); an actor seen is one traced, or ended.
    if (agent && actor && !this.#seen.has(actor) && actor.getSnapshot().status === 'active') this.entered(agent, actor, Date.now());
    return this.#open.at(-1)?.span;
  }

  /**
   * `agent` entered (its onEnter runs): its activation is `actor`. An activation still open is
   * the one a task takes over from (an agent handed over from has exited before the next enters).
   */
  entered(agent: Agent, actor: AnyActorRef, at: number): void {
    if (this.#seen.has(actor)) return;
    this.#seen.add(actor);
    const span = startSpanAt(this.#trace.tracer, SPAN.activation, this.#open.at(-1)?.span ?? this.#trace.span, at, {
      [ATTR.agentLabel]: agent.id,
      [ATTR.genAiAgentName]: agent.id,
      [ATTR.agentTask]: agent instanceof AgentTask,
    });
    const snapshot = actor.getSnapshot() as { status: string; value: unknown };
    const activation: Activation = { span, startedAt: at, state: String(snapshot.value), exitingAt: undefined, subscription: undefined, ended: false };
    this.#open.push(activation);
    const changed = this.#trace.guard("an agent's lifecycle", () => this.#changed(activation, actor.getSnapshot() as { status: string; value: unknown }));
    activation.subscription = actor.subscribe({ next: changed, error: changed, complete: changed });
  }

  /** The conversation was handed over (the previous agent has exited; the next one enters now). */
  handedOver(item: AgentHandoffItem, at: number): void {
    const attributes = { [ATTR.agentLabel]: item.newAgentId, ...(item.oldAgentId === undefined ? {} : { [ATTR.previousAgentLabel]: item.oldAgentId }) };
    this.#trace.span.addEvent(EVENT.handoff, attributes, hrTime(at));
  }

  /** The session closed: what is still open ends now. */
  close(at: number): void {
    for (const activation of [...this.#open].reverse()) {
      if (activation.exitingAt !== undefined) this.#hookSpan(activation, SPAN.onExit, activation.exitingAt, at);
      this.#end(activation, at);
    }
  }

  #changed(activation: Activation, snapshot: { status: string; value: unknown }): void {
    if (activation.ended) return;
    const at = Date.now();
    const was = activation.state;
    const state = String(snapshot.value);
    if (state !== was) {
      activation.state = state;
      if (was === 'entering') this.#hookSpan(activation, SPAN.onEnter, activation.startedAt, at);
      if (state === 'paused') activation.span.addEvent(EVENT.paused, hrTime(at));
      else if (was === 'paused' && state === 'active') activation.span.addEvent(EVENT.resumed, hrTime(at));
      else if (state === 'exiting') activation.exitingAt = at;
    }
    if (snapshot.status !== 'active') {
      if (activation.exitingAt !== undefined) this.#hookSpan(activation, SPAN.onExit, activation.exitingAt, at);
      this.#end(activation, at);
    }
  }

  #hookSpan(activation: Activation, name: string, startedAt: number, at: number): void {
    endSpanAt(startSpanAt(this.#trace.tracer, name, activation.span, startedAt), startedAt, at);
  }

  #end(activation: Activation, at: number): void {
    if (activation.ended) return;
    activation.ended = true;
    activation.subscription?.unsubscribe();
    const index = this.#open.indexOf(activation);
    if (index >= 0) this.#open.splice(index, 1);
    endSpanAt(activation.span, activation.startedAt, at);
  }
}

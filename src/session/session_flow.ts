/**
 * A session's flow: checked before it runs, resumed from a saved session when there is one, told
 * what happens in the session (its public events), saved as it moves when a store is given.
 */
import type { Agent } from '../agent/agent.js';
import type { Clock } from '../actors/start_actor.js';
import { ConfigurationError, VoxstateError } from '../errors.js';
import { Flow } from '../flow/flow.js';
import { checkFlow } from '../flow/flow_check.js';
import { FlowRun } from '../flow/flow_run.js';
import { SAVED_SESSION_VERSION, type SavedSession } from '../flow/saved_session.js';
import type { SnapshotStore } from '../flow/snapshot_store.js';
import type { ChatItem } from '../llm/chat_context.js';
import type { NamedTool } from '../llm/tool_set.js';
import { log } from '../log/logger.js';
import type { AgentSession } from './agent_session.js';

/** How a session runs a flow (AgentSession.start's `flow`, `resume` and `persist`). */
export interface SessionFlowOptions {
  flow: Flow;
  /** A saved session to continue (session.save()'s, or a store's). */
  resume?: SavedSession;
  /** Where the session is saved as it goes (and loaded from, when `resume` is not given): under `key`, e.g. the room's name. */
  persist?: { store: SnapshotStore; key: string };
}

export interface SessionFlowHost {
  handOver(agent: Agent): void;
  /** The flow took a step; `agent` is the one it has in charge. */
  moved(agent: Agent): void;
  /** The flow is done: the session ends once what its last agent says has been said. */
  done(): void;
  report(error: unknown): void;
  clock?: Clock;
}

export class SessionFlow {
  readonly run: FlowRun;
  /** The saves under way, one after the other; at most one more waits behind them. */
  #saving: Promise<void> = Promise.resolve();
  #saveQueued = false;
  readonly #stopListening: () => void;

  /** Checks the flow, loads what to resume, restores the history; throws ConfigurationError for a flow that cannot run. */
  static async open(session: AgentSession, options: SessionFlowOptions, host: SessionFlowHost): Promise<SessionFlow> {
    const { flow, persist } = options;
    if (!(flow instanceof Flow)) throw new TypeError('start() needs { flow } made by defineFlow({ machine, agents })');
    const { errors, warnings } = checkFlow(flow);
    if (errors.length > 0) throw new ConfigurationError('invalid_flow', `flow ${flow.id} cannot run:\n- ${errors.join('\n- ')}`);
    for (const warning of warnings) log().warn({ flow: flow.id }, `flow ${flow.id}: ${warning}`);
    const saved = options.resume ?? (persist ? await persist.store.load(persist.key) : undefined);
    if (saved && saved.flowId !== flow.id) {
      throw new ConfigurationError('invalid_flow', `the saved session is of flow ${saved.flowId}, not of flow ${flow.id}`);
    }
    if (saved) for (const item of saved.history) session.history.insert(historyItem(item));
    return new SessionFlow(session, options, host, saved);
  }

  private constructor(
    private readonly session: AgentSession,
    private readonly options: SessionFlowOptions,
    private readonly host: SessionFlowHost,
    saved: SavedSession | undefined,
  ) {
    this.run = new FlowRun(
      options.flow,
      {
        handOver: host.handOver,
        done: () => {
          this.#forget();
          host.done();
        },
        changed: () => {
          host.moved(this.run.agent);
          this.#save();
        },
        report: host.report,
        ...(host.clock ? { clock: host.clock } : {}),
      },
      saved && { snapshot: saved.flow, agent: saved.agent },
    );
    this.#stopListening = this.#listen();
  }

  /** The transition tools `agent` has now (none unless it is the flow's agent in charge). */
  toolsOf(agent: Agent): NamedTool[] {
    return agent === this.run.agent ? this.run.tools() : [];
  }

  /** The session as it is now, to continue later. */
  save(): SavedSession {
    const { snapshot, agent } = this.run.persisted();
    return {
      version: SAVED_SESSION_VERSION,
      savedAt: Date.now(),
      flowId: this.options.flow.id,
      flow: snapshot,
      agent,
      history: JSON.parse(JSON.stringify(this.session.history.items)) as unknown[],
    };
  }

  /** The session closed: the flow stops; resolves once the last save is done. */
  async close(): Promise<void> {
    this.#stopListening();
    // The saves waiting read the flow as it is: before it stops, not after.
    await this.#saving;
    this.run.stop();
  }

  #listen(): () => void {
    const session = this.session;
    const run = this.run;
    const onUserState = (event: { oldState: string; newState: string }) => {
      if (event.newState === 'away') run.notify({ type: 'user.away' });
      else if (event.oldState === 'away') run.notify({ type: 'user.back' });
    };
    const onItem = (event: { item: ChatItem }) => {
      if (event.item.type === 'message' && event.item.role === 'user') run.notify({ type: 'user.message', text: event.item.content });
      this.#save();
    };
    const onSpeech = (event: { speechHandle: { id: string; interrupted: boolean; addDoneCallback(cb: () => void): void } }) => {
      const speech = event.speechHandle;
      const agent = run.agentName;
      speech.addDoneCallback(() => run.notify({ type: 'agent.speech_done', speechId: speech.id, interrupted: speech.interrupted, agent }));
    };
    session.on('user_state_changed', onUserState);
    session.on('conversation_item_added', onItem);
    session.on('speech_created', onSpeech);
    return () => {
      session.off('user_state_changed', onUserState);
      session.off('conversation_item_added', onItem);
      session.off('speech_created', onSpeech);
    };
  }

  /** Saves the session to the store, unless a save is already waiting to start (it will see this change too). */
  #save(): void {
    const persist = this.options.persist;
    if (!persist || this.#saveQueued || this.run.actor.getSnapshot().status !== 'active') return;
    this.#saveQueued = true;
    this.#saving = this.#saving
      .then(() => {
        this.#saveQueued = false;
        return persist.store.save(persist.key, this.save());
      })
      .catch((error: unknown) => this.host.report(new VoxstateError('session_not_saved', `the session could not be saved under ${persist.key}`, { cause: error })));
  }

  /** A finished conversation is not resumed: its saved session goes. */
  #forget(): void {
    const persist = this.options.persist;
    if (!persist) return;
    this.#saving = this.#saving
      .then(() => persist.store.delete(persist.key))
      .catch((error: unknown) => this.host.report(new VoxstateError('session_not_saved', `the saved session under ${persist.key} could not be deleted`, { cause: error })));
  }
}

const ITEM_TYPES = new Set(['message', 'function_call', 'function_call_output', 'agent_handoff']);

/** A saved history item, checked enough to be put back. */
function historyItem(value: unknown): ChatItem {
  const item = value as { type?: unknown; id?: unknown; createdAt?: unknown } | null;
  if (!item || typeof item !== 'object' || !ITEM_TYPES.has(item.type as string) || typeof item.id !== 'string' || typeof item.createdAt !== 'number') {
    throw new ConfigurationError('invalid_saved_session', `the saved session's history has an item that is not a chat item: ${JSON.stringify(value)?.slice(0, 120)}`);
  }
  return item as ChatItem;
}

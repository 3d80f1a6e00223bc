/**
 * A session saved to continue later: its flow's persisted snapshot (state, history states,
 * context = userData), the agent in charge, and the conversation so far. JSON all through.
 */

/** The version of SavedSession's shape; a store refuses other versions. */
export const SAVED_SESSION_VERSION = 1;

export interface SavedSession {
  version: typeof SAVED_SESSION_VERSION;
  /** When it was saved (ms since the epoch). */
  savedAt: number;
  /** The flow's id (its machine's), so a snapshot is not restored into another flow. */
  flowId: string;
  /** XState's persisted snapshot of the flow (actor.getPersistedSnapshot()). */
  flow: Record<string, unknown>;
  /** The name (in the flow's agents) of the agent in charge. */
  agent: string;
  /** The chat history's items, as ChatContext.toJSON() gives them. */
  history: unknown[];
}

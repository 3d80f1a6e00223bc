/**
 * What the session tells a running flow. A flow's transitions may be on any of these event types;
 * one the flow's machine never mentions is not sent to it.
 */

/** The user's message went into the history (typed, or a finished spoken turn). */
export interface FlowUserMessageEvent {
  type: 'user.message';
  text: string;
}

/** The user went quiet for the session's userAwayTimeout. */
export interface FlowUserAwayEvent {
  type: 'user.away';
}

/** The user, away, spoke or typed again. */
export interface FlowUserBackEvent {
  type: 'user.back';
}

/** One of the agent's speeches ended: played out, or interrupted. */
export interface FlowSpeechDoneEvent {
  type: 'agent.speech_done';
  speechId: string;
  interrupted: boolean;
  /** The flow's agent (its name in the flow's agents) in charge when the speech began. */
  agent: string;
}

/** The participant the session talks with left the room. */
export interface FlowParticipantLeftEvent {
  type: 'participant.left';
  identity: string;
}

/** The AgentTask a state names called complete(result). */
export interface FlowTaskDoneEvent {
  type: 'agent.task_done';
  /** Its name in the flow's agents. */
  agent: string;
  result: unknown;
}

/** The AgentTask a state names called complete(error). */
export interface FlowTaskFailedEvent {
  type: 'agent.task_failed';
  agent: string;
  error: string;
}

export type FlowSessionEvent =
  | FlowUserMessageEvent
  | FlowUserAwayEvent
  | FlowUserBackEvent
  | FlowSpeechDoneEvent
  | FlowParticipantLeftEvent
  | FlowTaskDoneEvent
  | FlowTaskFailedEvent;

/** The event types of FlowSessionEvent. */
export const FLOW_SESSION_EVENTS = ['user.message', 'user.away', 'user.back', 'agent.speech_done', 'participant.left', 'agent.task_done', 'agent.task_failed'] as const;

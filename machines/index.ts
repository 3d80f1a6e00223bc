/** Every voxstate lifecycle as an XState v5 statechart: no I/O here, src/ provides the implementations. */
export * from './job.js';
export * from './session.js';
export * from './agent.js';
export * from './speech.js';
export * from './listener.js';
export * from './user_turn.js';
export * from './supervised_process.js';
export * from './job_runner.js';
export * from './worker.js';
export * from './assigned_job.js';
export * from './realtime_connection.js';

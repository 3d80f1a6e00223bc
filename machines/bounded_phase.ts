/**
 * A bounded phase: a state that ends by itself (its invoked work finishes, or an event of its own
 * moves on) or, once its bound has passed, is cut short. The job's shutdown phases and the
 * supervised process's initialization and exit are bounded phases.
 */

/**
 * The `after` of a bounded phase, to spread into its state: once the named delay `bound` has
 * passed in the state, the `timedOut` transition is taken (its target and actions say what being
 * cut short means).
 *
 * @example
 * closingSession: {
 *   invoke: { id: 'closeSession', src: 'closeSession', onDone: 'runningCallbacks' },
 *   ...boundedPhase('sessionCloseTimeout', { target: 'runningCallbacks', actions: 'recordTimeout' }),
 * },
 */
export function boundedPhase<const TBound extends string, const TTimedOut extends object>(bound: TBound, timedOut: TTimedOut) {
  return { after: { [bound]: timedOut } as Record<TBound, TTimedOut> };
}

/**
 * @livekit/rtc-node, loaded on first use: it loads a native library (about 0.2–0.6 s), which
 * console mode and the worker's main process never need.
 */
export type Rtc = typeof import('@livekit/rtc-node');

let loading: Promise<Rtc> | undefined;

export function loadRtc(): Promise<Rtc> {
  loading ??= import('@livekit/rtc-node');
  return loading;
}

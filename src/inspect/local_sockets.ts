/** What both inspector servers (our page, the Stately bridge) need of the sockets they serve on loopback. */
import { WebSocket } from 'ws';

/** Resolves when the socket has closed, or after `ms` at most. */
export function closed(ws: WebSocket, ms: number): Promise<void> {
  if (ws.readyState === WebSocket.CLOSED) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    ws.once('close', () => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** A peer address on this machine. */
export function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address === '::ffff:127.0.0.1';
}

/**
 * Deleting a room: LiveKit disconnects everyone in it. JobContext.deleteRoom() and a session's
 * `deleteRoomOnClose` both go through here.
 */
import { VoxstateError, describe } from '../errors.js';
import { apiUrl } from './livekit_mapping.js';
import { LocalRoom } from './local_room.js';
import type { Room } from './room.js';

/** Where LiveKit's RoomService is and its credentials; each defaults to its LIVEKIT_* environment variable. */
export interface RoomServiceOptions {
  url?: string;
  apiKey?: string;
  apiSecret?: string;
}

/**
 * Deletes the room named `roomName` through LiveKit's RoomService at `url` (default env
 * LIVEKIT_URL) with `apiKey` / `apiSecret` (default LIVEKIT_API_KEY / LIVEKIT_API_SECRET); without
 * them it rejects with `missing_credentials`. When `room` is that room and in process (console,
 * tests), it is closed instead, as the server would.
 */
export async function deleteRoom(room: Room, roomName: string = room.name, options: RoomServiceOptions = {}): Promise<void> {
  if (room instanceof LocalRoom && roomName === room.name) {
    room.close('room deleted');
    return;
  }
  const url = options.url || process.env.LIVEKIT_URL;
  const apiKey = options.apiKey || process.env.LIVEKIT_API_KEY;
  const apiSecret = options.apiSecret || process.env.LIVEKIT_API_SECRET;
  const missing = [!url && 'LIVEKIT_URL', !apiKey && 'LIVEKIT_API_KEY', !apiSecret && 'LIVEKIT_API_SECRET'].filter(Boolean);
  if (missing.length > 0) {
    throw new VoxstateError('missing_credentials', `deleteRoom(${JSON.stringify(roomName)}) needs the LiveKit server and its API credentials: set ${missing.join(', ')}`);
  }
  // Loaded on demand: most jobs never delete a room.
  const { RoomServiceClient } = await import('livekit-server-sdk');
  try {
    await new RoomServiceClient(apiUrl(url!), apiKey, apiSecret, { requestTimeout: 10 }).deleteRoom(roomName);
  } catch (error) {
    throw new VoxstateError('delete_room_failed', `deleting room ${JSON.stringify(roomName)} failed: ${describe(error)}`, { cause: error });
  }
}

/**
 * The clinic example's flow, tested by every path (voxstate/testing's testFlow): each path runs on
 * a real AgentSession, the LLM taking the path's transitions, timers on virtual time.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { withoutProviderKeys } from '../support/offline.js';

withoutProviderKeys();
const sessionsDir = mkdtempSync(join(tmpdir(), 'clinic-sessions-'));
process.env.CLINIC_SESSIONS_DIR = sessionsDir;
afterAll(() => rmSync(sessionsDir, { recursive: true, force: true }));

const { clinicFlow } = await import('../../examples/clinic_flow.js');
const { testFlow } = await import('../../src/testing/index.js');

describe('examples/clinic_flow', () => {
  it('every path through the flow runs on a session: each state is reached as the path says, and every state and transition is covered', async () => {
    const result = await testFlow(clinicFlow, {
      arguments: { caller_identified: { name: 'Ann Lee', dob: '1990-04-01' }, slot_chosen: { slot: 'Tuesday 10:00' } },
      states: {
        'call.conversation.booking.choosing': ({ userData, said }) => {
          expect(userData).toMatchObject({ name: 'Ann Lee', dob: '1990-04-01' });
          expect(said).toContain('Thank you, Ann Lee. Which day and time would suit you?');
        },
        'call.conversation.booking.confirming': ({ said }) => {
          expect(said).toContain('So that is Tuesday 10:00, for Ann Lee. Shall I book it?');
        },
        goodbye: ({ userData, said, session }) => {
          const { slot } = userData as { slot?: string };
          expect(said.at(-1)).toBe(slot ? `You are booked for ${slot}. Goodbye!` : 'Thank you for calling. Goodbye!');
          expect(session.currentAgent?.id).toBe('farewell');
        },
        voicemail: ({ said }) => {
          expect(said).toContain('This is Riverside Clinic returning your call. Please call us back on 555 0100.');
        },
      },
    });
    expect(result.paths.length).toBeGreaterThan(5);
    expect(result.coverage.states.missing).toEqual([]);
    expect(result.coverage.transitions.missing).toEqual([]);
    const described = result.paths.map((entry) => entry.path.description);
    // "Go back": from a question during confirming, back to confirming (the history state).
    expect(described.some((d) => /booking\.confirming[^→]*→general_question→ [^→]*→question_answered→ call\.conversation\.booking\.confirming/.test(d))).toBe(true);
    // The timeout and the check beside the conversation.
    expect(described.some((d) => d.includes('→after identifyTimeout→ goodbye'))).toBe(true);
    expect(described.some((d) => d.includes('→voicemail_detected→ voicemail'))).toBe(true);
  });
});

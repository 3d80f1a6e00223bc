/**
 * A clinic's receptionist as a conversation flow: the statechart below decides who talks and where
 * the call goes; the LLM moves it by calling the transitions it may take (tools of the agent in
 * charge). It has phases (identify the caller, book a visit with a confirmation sub-flow), a
 * timeout, "go back" to where the booking was (a history state), and a check beside the
 * conversation (is this an answering machine?). The call is saved as it goes, so a caller who
 * calls again continues where they were.
 *
 *   npx tsx examples/clinic_flow.ts console
 *
 * Offline, the LLM stand-in calls a transition when you name it, with key=value arguments:
 * "caller identified name=Ann dob=1990-04-01", "slot chosen slot='Tuesday 10:00'", "booking confirmed".
 */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assign, setup } from 'xstate';
import { z } from 'zod';
import { Agent, AgentServer, AgentSession, cli, defineFlow, FileSnapshotStore, inference, type JobContext } from '../src/index.js';

export interface Visit {
  name?: string;
  dob?: string;
  slot?: string;
}

type VisitEvent =
  | { type: 'caller_identified'; name: string; dob: string }
  | { type: 'slot_chosen'; slot: string }
  | { type: 'booking_confirmed' }
  | { type: 'booking_rejected' }
  | { type: 'general_question' }
  | { type: 'question_answered' }
  | { type: 'voicemail_detected' }
  | { type: 'user.away' };

export const clinicMachine = setup({
  types: { context: {} as Visit, events: {} as VisitEvent },
  actions: {
    storeCaller: assign(({ event }) => (event.type === 'caller_identified' ? { name: event.name, dob: event.dob } : {})),
    storeSlot: assign(({ event }) => (event.type === 'slot_chosen' ? { slot: event.slot } : {})),
  },
  delays: { identifyTimeout: 120_000, screening: 10_000 },
}).createMachine({
  id: 'clinic',
  initial: 'call',
  context: {},
  states: {
    call: {
      type: 'parallel',
      on: { 'user.away': '#clinic.goodbye' },
      states: {
        conversation: {
          initial: 'identifying',
          states: {
            identifying: {
              meta: { agent: 'receptionist' },
              on: {
                caller_identified: {
                  target: 'booking',
                  actions: 'storeCaller',
                  meta: {
                    description: 'The caller gave their full name and date of birth',
                    parameters: z.object({ name: z.string().describe('full name'), dob: z.string().describe('date of birth, YYYY-MM-DD') }),
                  },
                },
              },
              // A caller who never says who they are is let go.
              after: { identifyTimeout: '#clinic.goodbye' },
            },
            booking: {
              initial: 'choosing',
              on: {
                general_question: { target: 'question', meta: { description: 'The caller asks something that is not about this booking (opening hours, address, …)' } },
              },
              states: {
                choosing: {
                  meta: { agent: 'scheduler' },
                  on: {
                    slot_chosen: {
                      target: 'confirming',
                      actions: 'storeSlot',
                      meta: { description: 'The caller chose a day and time', parameters: z.object({ slot: z.string().describe('day and time, e.g. "Tuesday 10:00"') }) },
                    },
                  },
                },
                confirming: {
                  meta: { agent: 'confirmer' },
                  on: {
                    booking_confirmed: { target: '#clinic.goodbye', meta: { description: 'The caller confirmed the visit as read back' } },
                    booking_rejected: { target: 'choosing', meta: { description: 'The caller wants another day or time' } },
                  },
                },
                resume: { type: 'history' },
              },
            },
            question: {
              meta: { agent: 'front_desk' },
              // "Go back": to where the booking was (choosing, or confirming).
              on: { question_answered: { target: 'booking.resume', meta: { description: 'The question is answered and the caller wants to go on with the booking' } } },
            },
          },
        },
        screening: {
          initial: 'listening',
          states: {
            listening: {
              on: { voicemail_detected: { target: '#clinic.voicemail', meta: { description: 'The other end is an answering machine, not a person' } } },
              after: { screening: 'person' },
            },
            person: { type: 'final' },
          },
        },
      },
    },
    // The session ends once the message has been left.
    voicemail: { type: 'final', meta: { agent: 'voicemail' } },
    goodbye: { type: 'final', meta: { agent: 'farewell' } },
  },
});

class Receptionist extends Agent<Visit> {
  constructor() {
    super({ id: 'receptionist', instructions: 'You are the receptionist of Riverside Clinic. Ask the caller for their full name and date of birth.' });
  }
  override async onEnter() {
    this.session.say('Riverside Clinic, good morning. May I have your full name and date of birth?');
  }
}

class Scheduler extends Agent<Visit> {
  constructor() {
    super({ id: 'scheduler', instructions: 'You book visits. Offer weekday mornings; ask which day and time suits the caller.' });
  }
  override async onEnter() {
    this.session.say(`Thank you, ${this.session.userData.name}. Which day and time would suit you?`);
  }
}

class Confirmer extends Agent<Visit> {
  constructor() {
    super({ id: 'confirmer', instructions: 'Read the visit back and ask the caller to confirm it.' });
  }
  override async onEnter() {
    this.session.say(`So that is ${this.session.userData.slot}, for ${this.session.userData.name}. Shall I book it?`);
  }
}

class FrontDesk extends Agent<Visit> {
  constructor() {
    super({ id: 'front_desk', instructions: 'Answer general questions: we are open 8 to 18 on weekdays, at 12 River Road.' });
  }
}

class Voicemail extends Agent<Visit> {
  constructor() {
    super({ id: 'voicemail', instructions: 'Leave a short message.' });
  }
  override async onEnter() {
    this.session.say('This is Riverside Clinic returning your call. Please call us back on 555 0100.');
  }
}

class Farewell extends Agent<Visit> {
  constructor() {
    super({ id: 'farewell', instructions: 'Say goodbye.' });
  }
  override async onEnter() {
    const { slot } = this.session.userData;
    this.session.say(slot ? `You are booked for ${slot}. Goodbye!` : 'Thank you for calling. Goodbye!');
  }
}

/** The flow: the statechart and the agents its states name. */
export const clinicFlow = defineFlow({
  machine: clinicMachine,
  agents: {
    receptionist: () => new Receptionist(),
    scheduler: () => new Scheduler(),
    confirmer: () => new Confirmer(),
    front_desk: () => new FrontDesk(),
    voicemail: () => new Voicemail(),
    farewell: () => new Farewell(),
  },
});

/** Where calls are saved (one file per room); CLINIC_SESSIONS_DIR moves it. */
export const store = new FileSnapshotStore(process.env.CLINIC_SESSIONS_DIR ?? join(tmpdir(), 'voxstate-clinic-sessions'));

export const server = new AgentServer();

server.rtcSession(async (ctx: JobContext) => {
  const session = new AgentSession<Visit>({
    llm: inference.LLM({ model: 'openai/gpt-4.1-mini' }),
  });
  // A room with a saved call continues it; each step of the flow saves it again.
  await session.start({ flow: clinicFlow, room: ctx.room, persist: { store, key: ctx.room.name } });
  await ctx.connect();
});

void cli.runApp(server);

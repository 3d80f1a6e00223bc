/**
 * LiveKit example "Basic Event", in TypeScript: an agent with an EventEmitter, on / off / once.
 * The agent greets Alice (once, though `greet` is registered twice), never Bob, and the once
 * listener prints "[Once] Greeted Alice" exactly once.
 *
 *   npx tsx examples/basic_event.ts console
 */
import {
  Agent,
  AgentServer,
  AgentSession,
  EventEmitter,
  cli,
  inference,
  log,
  silero,
  type JobContext,
  type JobProcess,
} from '../src/index.js';

type UserData = { vad: silero.VAD };

export class SimpleAgent extends Agent {
  readonly emitter = new EventEmitter<{ greet: (name: string) => void }>();

  constructor() {
    super({
      instructions: 'You are a helpful agent. When the user speaks, you listen and respond.',
    });
    this.emitter.on('greet', this.greet);
  }

  greet = (name: string): void => {
    this.session.say(`Hello, ${name}!`);
  };

  override async onEnter(): Promise<void> {
    this.emitter.emit('greet', 'Alice');
    this.emitter.off('greet', this.greet);
    // This will not trigger the greet function, because we unregistered it with the line above
    // Comment out the 'off' line above to hear the agent greet Bob as well as Alice
    this.emitter.emit('greet', 'Bob');
  }
}

export const server = new AgentServer<UserData>();

// Load the VAD once per process, before the first job: every session of the process shares it.
async function prewarm(proc: JobProcess<UserData>): Promise<void> {
  proc.userData.vad = await silero.VAD.load();
}

server.setupFnc = prewarm;

server.rtcSession(async (ctx: JobContext<UserData>) => {
  ctx.logContextFields = { room: ctx.room.name };
  log().info('basic-event agent starting');

  const agent = new SimpleAgent();
  agent.emitter.on('greet', agent.greet);

  // We'll print this log once, because we registered it with the once method
  agent.emitter.once('greet', (name) => console.log(`[Once] Greeted ${name}`));

  const session = new AgentSession({
    stt: inference.STT({ model: 'deepgram/nova-3-general' }),
    llm: inference.LLM({ model: 'openai/gpt-4.1-mini' }),
    tts: inference.TTS({ model: 'cartesia/sonic-3', voice: '9626c31c-bec5-4cca-baa8-f8ba9e84c8bc' }),
    vad: ctx.proc.userData.vad,
    preemptiveGeneration: true,
  });

  await session.start({ agent, room: ctx.room });
  await ctx.connect();
});

void cli.runApp(server);

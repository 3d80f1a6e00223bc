/**
 * Port check (issue 13): a router whose tools hand off to specialists and the specialists' tools
 * hand back, written the way an agents-js 1.x user writes one. It differs from its agents-js
 * version only in its import line (`@livekit/agents` becomes voxstate; an application imports
 * 'voxstate').
 *
 *   npx tsx test/compat/router_agent.ts console      (type "toBilling", then "backToFrontDesk")
 */
import { type JobContext, ServerOptions, cli, defineAgent, inference, llm, voice } from '../../src/index.js';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';

export type RouterData = {
  transfers: number;
  invoiceRequests: string[];
};

export class FrontDeskAgent extends voice.Agent<RouterData> {
  constructor() {
    super({
      id: 'front_desk',
      instructions: 'You are the front desk. Route billing questions to billing and technical ones to support.',
      tools: {
        toBilling: llm.tool({
          description: 'Transfer the user to billing, for invoices and payments.',
          execute: async (_, { ctx }: llm.ToolOptions<RouterData>) => {
            ctx.userData.transfers += 1;
            return llm.handoff({ agent: new BillingAgent(), returns: 'Transferring you to billing.' });
          },
        }),
        toSupport: llm.tool({
          description: 'Transfer the user to technical support.',
          execute: async (_, { ctx }: llm.ToolOptions<RouterData>) => {
            ctx.userData.transfers += 1;
            return llm.handoff({ agent: new SupportAgent(), returns: 'Transferring you to support.' });
          },
        }),
      },
    });
  }

  override async onEnter(): Promise<void> {
    this.session.say('Front desk, how can I help?');
  }
}

export class BillingAgent extends voice.Agent<RouterData> {
  constructor() {
    super({
      id: 'billing',
      instructions: 'You handle invoices. When the user is done, hand back to the front desk.',
      tools: {
        sendInvoice: llm.tool({
          description: 'Send a copy of an invoice to the user.',
          parameters: z.object({ invoiceId: z.string().describe('The invoice number, e.g. INV-42') }),
          execute: async ({ invoiceId }, { ctx }: llm.ToolOptions<RouterData>) => {
            ctx.userData.invoiceRequests.push(invoiceId);
            return `Invoice ${invoiceId} is on its way.`;
          },
        }),
        backToFrontDesk: llm.tool({
          description: 'Hand the user back to the front desk.',
          execute: async (_, { ctx }: llm.ToolOptions<RouterData>) => {
            ctx.userData.transfers += 1;
            return llm.handoff({ agent: new FrontDeskAgent(), returns: 'Back to the front desk.' });
          },
        }),
      },
    });
  }

  override async onEnter(): Promise<void> {
    this.session.say('Billing here.');
  }
}

export class SupportAgent extends voice.Agent<RouterData> {
  constructor() {
    super({
      id: 'support',
      instructions: 'You solve technical problems. When the user is done, hand back to the front desk.',
      tools: {
        backToFrontDesk: llm.tool({
          description: 'Hand the user back to the front desk.',
          execute: async (_, { ctx }: llm.ToolOptions<RouterData>) => {
            ctx.userData.transfers += 1;
            return llm.handoff({ agent: new FrontDeskAgent(), returns: 'Back to the front desk.' });
          },
        }),
      },
    });
  }

  override async onEnter(): Promise<void> {
    this.session.say('Support here.');
  }
}

export default defineAgent({
  entry: async (ctx: JobContext) => {
    const session = new voice.AgentSession<RouterData>({
      llm: new inference.LLM({ model: 'openai/gpt-4.1-mini' }),
      userData: { transfers: 0, invoiceRequests: [] },
    });
    await session.start({ agent: new FrontDeskAgent(), room: ctx.room });
    await ctx.connect();
  },
});

cli.runApp(new ServerOptions({ agent: fileURLToPath(import.meta.url) }));

import { describe, expect, it } from 'vitest';
import { ChatContext } from '../../src/index.js';

describe('ChatContext', () => {
  it('keeps an item committed late in the place reserved for it', () => {
    const ctx = new ChatContext();
    ctx.addMessage({ role: 'user', content: 'first' });
    const place = ctx.reserve(); // the agent starts speaking
    ctx.addMessage({ role: 'user', content: 'interrupting' });
    ctx.addMessage({ role: 'assistant', content: 'cut off', interrupted: true }, place);
    ctx.addMessage({ role: 'user', content: 'last' });
    expect(ctx.messages().map((m) => m.content)).toEqual(['first', 'cut off', 'interrupting', 'last']);
  });

  it('copies are independent', () => {
    const ctx = new ChatContext();
    ctx.addMessage({ role: 'user', content: 'a' });
    const copy = ctx.copy();
    copy.addMessage({ role: 'user', content: 'b' });
    expect(ctx.items).toHaveLength(1);
    expect(copy.items).toHaveLength(2);
    expect(JSON.parse(JSON.stringify(ctx)).items[0]).toMatchObject({ type: 'message', role: 'user', content: 'a', interrupted: false });
  });
});

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

describe('copies', () => {
  it('share items until either side changes, then diverge without affecting the other', () => {
    const ctx = new ChatContext();
    ctx.addMessage({ role: 'user', content: 'a' });
    const first = ctx.copy();
    const second = ctx.copy();
    ctx.addMessage({ role: 'assistant', content: 'b' });
    first.addMessage({ role: 'system', content: 'only in first' });
    expect(ctx.messages().map((m) => m.content)).toEqual(['a', 'b']);
    expect(first.messages().map((m) => m.content)).toEqual(['a', 'only in first']);
    expect(second.messages().map((m) => m.content)).toEqual(['a']);
    second.addMessage({ role: 'user', content: 'c' });
    expect(ctx.items).toHaveLength(2);
    expect(first.items).toHaveLength(2);
  });
});

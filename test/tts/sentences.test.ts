import { describe, expect, it } from 'vitest';
import { SentenceTokenizer } from '../../src/tts/sentences.js';

/** Pushes `pieces` one by one, then flushes; returns the sentences in order. */
function split(...pieces: string[]): string[] {
  const tokenizer = new SentenceTokenizer();
  return [...pieces.flatMap((piece) => tokenizer.push(piece)), ...tokenizer.flush()];
}

/** What each push returned, then what the flush returned. */
function steps(...pieces: string[]): string[][] {
  const tokenizer = new SentenceTokenizer();
  return [...pieces.map((piece) => tokenizer.push(piece)), tokenizer.flush()];
}

describe('SentenceTokenizer', () => {
  it('splits at sentence ends followed by whitespace, keeping the punctuation', () => {
    expect(split('Hello there. How are you? Great! Bye')).toEqual(['Hello there.', 'How are you?', 'Great!', 'Bye']);
  });

  it('hands out a sentence as soon as it is decided, token by token', () => {
    expect(steps('Hi', ' there', '!', ' How', ' are', ' you', '?', ' Fine', '.')).toEqual([
      [], [], [], ['Hi there!'], [], [], [], ['How are you?'], [], ['Fine.'],
    ]);
  });

  it('waits for the next word after a period: it may be an abbreviation or a number', () => {
    expect(steps('It is 3.', '14 exactly. ', 'Yes')).toEqual([[], [], ['It is 3.14 exactly.'], ['Yes']]);
  });

  it('does not split after abbreviations, initials or a leading list number', () => {
    expect(split('Dr. Smith met Mrs. Jones at 5 p.m. Then they left. ')).toEqual(['Dr. Smith met Mrs. Jones at 5 p.m. Then they left.']);
    expect(split('J. R. R. Tolkien wrote it. I agree. ')).toEqual(['J. R. R. Tolkien wrote it.', 'I agree.']);
    expect(split('Fruit, e.g. Apples and pears. Good.')).toEqual(['Fruit, e.g. Apples and pears.', 'Good.']);
    expect(split('1. Open the box. 2. Take it out.')).toEqual(['1. Open the box.', '2. Take it out.']);
    expect(split('I have 2 apples. 3 are red.')).toEqual(['I have 2 apples.', '3 are red.']);
  });

  it('keeps decimals, versions and addresses whole', () => {
    expect(split('Pi is 3.14159 and v1.2.3 is out at example.com today. Done.')).toEqual([
      'Pi is 3.14159 and v1.2.3 is out at example.com today.',
      'Done.',
    ]);
  });

  it('does not split before a lower-case word', () => {
    expect(split('It weighs approx. five kilos. No. 5 is next. Well... maybe not. Really?! Yes.')).toEqual([
      'It weighs approx. five kilos.',
      'No. 5 is next.',
      'Well... maybe not.',
      'Really?!',
      'Yes.',
    ]);
  });

  it('takes closing quotes and brackets with the sentence', () => {
    expect(split('He said "stop." Then (quietly.) He left.')).toEqual(['He said "stop."', 'Then (quietly.)', 'He left.']);
    expect(split('Then (quietly.) he left.')).toEqual(['Then (quietly.) he left.']);
  });

  it('splits at line breaks and CJK full stops', () => {
    expect(split('- milk\n- eggs\n\nThat is all')).toEqual(['- milk', '- eggs', 'That is all']);
    expect(split('你好。今天天气很好！')).toEqual(['你好。', '今天天气很好！']);
  });

  it('flushes nothing for whitespace, and starts afresh after a flush', () => {
    const tokenizer = new SentenceTokenizer();
    expect(tokenizer.push('  \n ')).toEqual([]);
    expect(tokenizer.flush()).toEqual([]);
    expect(tokenizer.push('Again')).toEqual([]);
    expect(tokenizer.flush()).toEqual(['Again']);
    expect(tokenizer.flush()).toEqual([]);
  });
});

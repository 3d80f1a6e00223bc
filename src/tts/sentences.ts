/**
 * Splits streamed text (LLM tokens) into sentences for a TTS, so synthesis can start at the first
 * sentence end instead of waiting for the whole reply.
 *
 * A sentence ends at `.`, `!`, `?` or `…` (with any closing quotes or brackets) followed by
 * whitespace, at a CJK full stop (`。！？`), or at a line break. A period does not end a sentence
 * after a known abbreviation ("Dr.", "e.g."), an initial ("J."), a list number at the start
 * ("1."), or when the next word starts in lower case ("approx. five", "Well... maybe").
 * Decimals and addresses ("3.14", "example.com") have no whitespace after the period, so they
 * never split. A period or ellipsis at the very end of the buffer waits for the next word (or a
 * flush) to decide; `!` and `?` followed by whitespace are decided at once.
 */

const ENDS = new Set(['.', '!', '?', '…']);
const CJK_ENDS = new Set(['。', '！', '？']);
const CLOSERS = new Set(['"', "'", '”', '’', ')', ']', '}', '»', '*', '_']);

/** Lower-case words (without their final period) after which a period does not end a sentence. */
const ABBREVIATIONS = new Set([
  'mr', 'mrs', 'ms', 'mx', 'dr', 'prof', 'sr', 'jr', 'st', 'mt', 'ft', 'rev', 'hon', 'gen', 'col', 'lt', 'sgt', 'capt', 'gov', 'sen', 'rep',
  'vs', 'e.g', 'i.e', 'cf', 'approx', 'est', 'dept', 'inc', 'ltd', 'co', 'corp', 'no', 'nos', 'vol', 'fig', 'p', 'pp', 'ch',
  'a.m', 'p.m', 'u.s', 'u.k', 'jan', 'feb', 'mar', 'apr', 'jun', 'jul', 'aug', 'sep', 'sept', 'oct', 'nov', 'dec',
]);

const isSpace = (char: string | undefined) => char !== undefined && /\s/.test(char);

export class SentenceTokenizer {
  #buffer = '';

  /** Adds text; returns the sentences it completed (trimmed, in order). */
  push(text: string): string[] {
    this.#buffer += text;
    const sentences: string[] = [];
    for (;;) {
      const cut = findSentenceEnd(this.#buffer);
      if (cut === undefined) break;
      const sentence = this.#buffer.slice(0, cut.end).trim();
      this.#buffer = this.#buffer.slice(cut.next);
      if (sentence) sentences.push(sentence);
    }
    return sentences;
  }

  /** Ends the text so far: returns what is left as a last sentence (none if only whitespace). */
  flush(): string[] {
    const rest = this.#buffer.trim();
    this.#buffer = '';
    return rest ? [rest] : [];
  }
}

interface Cut {
  /** The sentence is buffer[0, end). */
  end: number;
  /** The next sentence starts here (after the whitespace). */
  next: number;
}

/** The first decidable sentence end of `text`, or undefined if none can be decided yet. */
function findSentenceEnd(text: string): Cut | undefined {
  for (let i = 0; i < text.length; i++) {
    const char = text[i]!;
    if (char === '\n') {
      if (text.slice(0, i).trim()) return { end: i, next: i + 1 };
      continue;
    }
    if (CJK_ENDS.has(char)) {
      const end = skipClosers(text, i + 1);
      return { end, next: skipSpace(text, end) };
    }
    if (!ENDS.has(char)) continue;
    let last = i;
    while (ENDS.has(text[last + 1] ?? '')) last++;
    const end = skipClosers(text, last + 1);
    if (end === text.length) return undefined;
    if (!isSpace(text[end])) {
      i = end - 1;
      continue;
    }
    const next = skipSpace(text, end);
    const run = text.slice(i, last + 1);
    const decisive = run.includes('!') || run.includes('?');
    if (decisive || text.slice(end, next).includes('\n')) return { end, next };
    // A period or ellipsis: the word before it and the word after it decide.
    if (next === text.length) return undefined;
    if (run === '.' && isAbbreviation(text, i)) {
      i = next - 1;
      continue;
    }
    const following = text[next]!;
    if (/\p{Ll}/u.test(following)) {
      i = next - 1;
      continue;
    }
    return { end, next };
  }
  return undefined;
}

/** Whether the period at `dot` closes an abbreviation, an initial, or a leading list number. */
function isAbbreviation(text: string, dot: number): boolean {
  let start = dot;
  while (start > 0 && /[\p{L}\d.]/u.test(text[start - 1]!)) start--;
  const word = text.slice(start, dot);
  if (!word) return false;
  if (ABBREVIATIONS.has(word.toLowerCase())) return true;
  if (/^\p{Lu}$/u.test(word) && word !== 'I') return true;
  if (/^\p{L}(\.\p{L})+$/u.test(word)) return true;
  if (/^\d+$/.test(word) && !text.slice(0, start).trim()) return true;
  return false;
}

function skipClosers(text: string, from: number): number {
  let index = from;
  while (CLOSERS.has(text[index] ?? '')) index++;
  return index;
}

function skipSpace(text: string, from: number): number {
  let index = from;
  while (isSpace(text[index])) index++;
  return index;
}

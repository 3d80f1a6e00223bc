/**
 * Reading a session report (src/report/session_report.ts) from a file's text: the one check both
 * ends of the inspector's replay run, the server for `--replay report.json` and the page for a
 * dropped file, so both say the same thing about the same file, in words that name what is wrong
 * ("this report is version 2; this page reads version 1").
 *
 * The page gets readReport by its source (Function.prototype.toString, see page_html.ts), so it is
 * self-contained: no helper outside its body, nothing imported at run time (the version it reads
 * is a parameter), plain ES2020 once the types are gone.
 */
import type { SessionReport } from '../report/session_report.js';

/** The report, or why the text is not one. */
export type ReportReading = { report: SessionReport; problem?: undefined } | { report?: undefined; problem: string };

/**
 * Parses `text` and checks it has the shape of a session report of `version` (the fields the
 * type requires, with their types; new fields may appear within a version and are let through).
 * Never throws.
 */
export function readReport(text: string, version: number): ReportReading {
  // Constants and helpers live inside the function: the page embeds its source, nothing more.
  /** The first problems named, at most: a damaged file has many, and the first few tell what it is. */
  const shown = 4;
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  if (body.trim() === '') return { problem: 'the file is empty' };

  /** "line 3, column 14" of a character offset. */
  const where = (offset: number) => {
    const before = body.slice(0, offset);
    return `line ${before.split('\n').length}, column ${offset - before.lastIndexOf('\n')}`;
  };
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    // V8 (Node and Chromium) names the offset it stopped at ("… in JSON at position 812"), or
    // says the input ended. Stopping at the very end is a file cut short, not a wrong character.
    const position = /at position (\d+)/.exec(message);
    const end = body.trimEnd().length;
    if (/end of (JSON )?input/i.test(message) || (position !== null && Number(position[1]) >= end)) {
      return { problem: `the file is not JSON: unexpected end at ${where(end)}: it stops in the middle (was it cut short?)` };
    }
    if (position !== null) {
      const reason = message.replace(/\s*\(line \d+ column \d+\)/, '').replace(/ in JSON at position \d+/, '');
      return { problem: `the file is not JSON: ${reason} at ${where(Number(position[1]))}` };
    }
    return { problem: `the file is not JSON: ${message}` };
  }

  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
  const kind = (v: unknown) =>
    v === null ? 'null' : Array.isArray(v) ? 'an array' : typeof v === 'object' ? 'an object' : typeof v === 'number' ? 'a number' : typeof v === 'string' ? 'a string' : typeof v === 'boolean' ? 'a boolean' : typeof v;
  const quote = (v: unknown) => {
    const json = JSON.stringify(v) ?? String(v);
    return json.length > 40 ? `${json.slice(0, 37)}…` : json;
  };
  if (!isObject(value)) return { problem: `the file is JSON, but not a session report: it holds ${kind(value)}, not an object` };
  if (!('version' in value)) return { problem: 'the file is JSON, but not a session report: it has no "version"' };
  if (value.version !== version) {
    return typeof value.version === 'number'
      ? { problem: `this report is version ${value.version}; this page reads version ${version}` }
      : { problem: `"version" is ${quote(value.version)}, not a number: this page reads version ${version} reports` };
  }

  const problems: string[] = [];
  const full = () => problems.length > shown;
  /** Whether `v` is of the kind `want`; else notes the problem under the field's path. */
  const need = (path: string, v: unknown, want: 'number' | 'string' | 'object' | 'array'): boolean => {
    const ok = want === 'array' ? Array.isArray(v) : want === 'object' ? isObject(v) : typeof v === want;
    if (!ok) problems.push(v === undefined ? `${path} is missing` : `${path} is ${kind(v)}${isObject(v) || Array.isArray(v) ? '' : ` (${quote(v)})`}, not ${want === 'array' || want === 'object' ? 'an' : 'a'} ${want}`);
    return ok;
  };
  need('createdAt', value.createdAt, 'number');
  need('session', value.session, 'object');
  need('options', value.options, 'object');
  need('usage', value.usage, 'object');
  need('metrics', value.metrics, 'array');
  const machines = value.machines;
  if (need('machines', machines, 'object')) {
    for (const [id, definition] of Object.entries(machines as Record<string, unknown>)) {
      if (full()) break;
      if (need(`machines.${id}`, definition, 'object')) {
        need(`machines.${id}.id`, (definition as Record<string, unknown>).id, 'string');
        need(`machines.${id}.states`, (definition as Record<string, unknown>).states, 'object');
      }
    }
  }
  const list = (name: string, fields: Record<string, 'number' | 'string'>, check?: (item: Record<string, unknown>, path: string) => void) => {
    const items = value[name];
    if (!need(name, items, 'array')) return;
    (items as unknown[]).every((item, index) => {
      const path = `${name}[${index}]`;
      if (need(path, item, 'object')) {
        for (const [field, want] of Object.entries(fields)) need(`${path}.${field}`, (item as Record<string, unknown>)[field], want);
        check?.(item as Record<string, unknown>, path);
      }
      return !full();
    });
  };
  list('history', { type: 'string', createdAt: 'number' });
  list('events', { type: 'string', at: 'number' });
  list('timeline', { at: 'number', actor: 'string', machine: 'string', event: 'string', status: 'string' }, (entry, path) => {
    if (!('state' in entry)) problems.push(`${path}.state is missing`);
    const named = entry.machine;
    if (typeof named === 'string' && isObject(machines) && !Object.prototype.hasOwnProperty.call(machines, named)) {
      problems.push(`${path}.machine is ${quote(named)}, which is not among the report's machines (${Object.keys(machines).join(', ') || 'none'})`);
    }
  });
  if (problems.length > 0) {
    const more = problems.length > shown ? ` (and more)` : '';
    return { problem: `the report does not have the shape of a version ${version} session report: ${problems.slice(0, shown).join('; ')}${more}` };
  }
  if ((value.timeline as unknown[]).length === 0) return { problem: "the report's timeline is empty: there is nothing to play back" };
  return { report: value as unknown as SessionReport };
}

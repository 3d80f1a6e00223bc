/**
 * A job's log context fields (`ctx.logContextFields`) as span attributes: the fields the
 * application chose to put on every log line of the job go on its job and session spans too, each
 * as `voxstate.context.<name>`, redacted as log lines are (a field named like a credential is
 * replaced, a credential inside a value is masked).
 */
import type { AttributeValue, Attributes } from '@opentelemetry/api';
import { redactSecrets } from '../log/redact.js';
import { ATTR } from './trace_names.js';

export function contextAttributes(fields: Readonly<Record<string, unknown>>): Attributes {
  const attributes: Attributes = {};
  for (const [name, value] of Object.entries(redactSecrets(fields) as Record<string, unknown>)) {
    const attribute = attributeValue(value);
    if (attribute !== undefined) attributes[ATTR.contextPrefix + name] = attribute;
  }
  return attributes;
}

/** A value as an attribute can hold it: text, numbers and flags as they are, anything else as JSON. */
function attributeValue(value: unknown): AttributeValue | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  return JSON.stringify(value) ?? String(value);
}

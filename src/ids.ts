/** Short ids that say what they name: `speech_1a`, `item_2b`. Unique within the process. */
let counter = 0;
const prefix = Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0');

export function newId(kind: string): string {
  counter += 1;
  return `${kind}_${prefix}${counter.toString(36)}`;
}

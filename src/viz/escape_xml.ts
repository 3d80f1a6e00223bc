/** Escapes text for XML content and attribute values (kept apart from the diagrams' layout and its dagre, for the pages that need only this). */
export function escapeXml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

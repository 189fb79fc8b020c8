/** Minimal XML writer for the EC2 and STS Query API responses. */

export type XmlValue = string | number | boolean | undefined | null | XmlNode | XmlValue[];
export interface XmlNode {
  [tag: string]: XmlValue;
}

export function esc(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** Arrays become `<tag><item>…</item>…</tag>` (the EC2 list shape); objects nest; undefined is omitted. */
export function toXml(tag: string, value: XmlValue): string {
  if (value === undefined || value === null) return '';
  if (Array.isArray(value)) return `<${tag}>${value.map((v) => toXml('item', v)).join('')}</${tag}>`;
  if (typeof value === 'object') {
    const inner = Object.entries(value)
      .map(([k, v]) => toXml(k, v))
      .join('');
    return `<${tag}>${inner}</${tag}>`;
  }
  return `<${tag}>${esc(String(value))}</${tag}>`;
}

export function document(root: string, ns: string, body: XmlNode): string {
  const inner = Object.entries(body)
    .map(([k, v]) => toXml(k, v))
    .join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<${root} xmlns="${ns}">${inner}</${root}>`;
}

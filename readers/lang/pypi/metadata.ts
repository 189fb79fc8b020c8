/**
 * Python core metadata (METADATA in `*.dist-info`, PKG-INFO in `*.egg-info`, or a single-file
 * `*.egg-info`): RFC 822-style headers up to the first blank line, continuation lines starting
 * with white space; the body after the blank line is the description and is not read.
 *
 *   Metadata-Version: 2.1
 *   Name: requests                       required
 *   Version: 2.28.1                      required
 *   License: Apache 2.0                  free text (may be UNKNOWN)
 *   License-Expression: MIT              core metadata 2.4: an SPDX expression, preferred
 *   Classifier: License :: OSI Approved :: MIT License
 *
 * Licenses: License-Expression, else every `License :: … :: <name>` classifier (three or more
 * components: `License :: OSI Approved` alone names none), else the License header as written.
 * Spec: https://packaging.python.org/en/latest/specifications/core-metadata/
 */
import { CorruptError, LimitExceededError } from '../../../engine/errors.js';

export interface PythonMetadata {
  name: string;
  version: string;
  licenses: string[];
  summary?: string;
  author?: string;
  homePage?: string;
  metadataVersion?: string;
}

/** Header lines read before the first blank line (real files have a few hundred at most). */
const MAX_HEADER_LINES = 100_000;

export function parsePythonMetadata(
  bytes: Buffer,
  opts: { path: string; maxLineBytes: number },
): PythonMetadata {
  const text = bytes.toString('utf8');
  const headers = new Map<string, string[]>();
  let last: { key: string; values: string[] } | undefined;
  let pos = 0;
  let lines = 0;
  while (pos < text.length) {
    let end = text.indexOf('\n', pos);
    if (end < 0) end = text.length;
    if (end - pos > opts.maxLineBytes) {
      throw new LimitExceededError(
        { format: 'pypi/metadata', struct: 'header line', offset: pos },
        'MAX_LINE_BYTES',
        end - pos,
        opts.maxLineBytes,
      );
    }
    if (++lines > MAX_HEADER_LINES) {
      throw new LimitExceededError(
        { format: 'pypi/metadata', struct: 'headers', offset: pos },
        'MAX_HEADER_LINES',
        lines,
        MAX_HEADER_LINES,
      );
    }
    const line = text.slice(pos, end).replace(/\r$/, '');
    const at = pos;
    pos = end + 1;
    if (line.trim() === '') break; // end of headers: the body is the description
    if (/^[ \t]/.test(line)) {
      if (last) last.values[last.values.length - 1] += `\n${line.trim()}`;
      continue;
    }
    const colon = line.indexOf(':');
    if (colon <= 0) {
      throw new CorruptError(
        { format: 'pypi/metadata', struct: 'header', offset: at },
        JSON.stringify(line.slice(0, 40)),
        'is not',
        'a "Name: value" header',
      );
    }
    const key = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    const values = headers.get(key) ?? [];
    values.push(value);
    headers.set(key, values);
    last = { key, values };
  }
  const first = (k: string) => headers.get(k)?.[0];
  const name = first('name');
  const version = first('version');
  if (!name || !version) {
    throw new CorruptError(
      { format: 'pypi/metadata', struct: 'headers', offset: 0, field: !name ? 'Name' : 'Version' },
      'missing',
      'is',
      'required',
    );
  }
  const out: PythonMetadata = { name, version, licenses: licensesOf(headers) };
  const opt = (k: string, f: 'summary' | 'author' | 'homePage' | 'metadataVersion') => {
    const v = first(k);
    if (v) out[f] = v;
  };
  opt('summary', 'summary');
  opt('author', 'author');
  opt('home-page', 'homePage');
  opt('metadata-version', 'metadataVersion');
  return out;
}

function licensesOf(headers: Map<string, string[]>): string[] {
  const expr = headers.get('license-expression')?.[0];
  if (expr) return [expr];
  const fromClassifiers: string[] = [];
  for (const c of headers.get('classifier') ?? []) {
    const parts = c.split('::').map((s) => s.trim());
    if (parts[0] === 'License' && parts.length >= 3 && parts.at(-1)) fromClassifiers.push(parts.at(-1)!);
  }
  if (fromClassifiers.length > 0) return fromClassifiers;
  const lic = headers.get('license')?.[0];
  return lic ? [lic] : [];
}

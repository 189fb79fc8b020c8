/**
 * Installed gem specifications (`<GEM_HOME>/specifications/<name>-<version>.gemspec`): Ruby
 * source written by RubyGems (`Gem::Specification#to_ruby`), read as text, never evaluated.
 *
 *   Gem::Specification.new do |s|
 *     s.name = "rake".freeze
 *     s.version = "13.0.3"
 *     s.licenses = ["MIT".freeze]          (or s.license = "MIT")
 *   end
 *
 * Only assignments to the block variable count; a file whose name or version cannot be found that
 * way is an error on that file. `licenses` must be an array (a bare string there is not what
 * RubyGems writes and names no license). Spec: https://guides.rubygems.org/specification-reference/
 */
import { CorruptError } from '../../../engine/errors.js';

export interface Gemspec {
  name: string;
  version: string;
  licenses: string[];
}

/** A Ruby string literal, optionally `.freeze`d. */
const STR = `(?:"((?:[^"\\\\]|\\\\.)*)"|'((?:[^'\\\\]|\\\\.)*)')(?:\\.freeze)?`;

function unquote(m: RegExpExecArray, at: number): string {
  return (m[at] ?? m[at + 1] ?? '').replace(/\\(.)/g, '$1');
}

export function parseGemspec(bytes: Buffer): Gemspec {
  const text = bytes.toString('utf8');
  const start = /Gem::Specification\.new\s+do\s*\|\s*([a-z_][A-Za-z0-9_]*)\s*\|/.exec(text);
  if (!start) {
    throw new CorruptError(
      { format: 'gem/gemspec', struct: 'specification', offset: 0 },
      'no Gem::Specification.new block',
      'in',
      'the file',
    );
  }
  const v = start[1]!;
  const body = text.slice(start.index + start[0].length);
  const assign = (field: string) =>
    new RegExp(`^\\s*${v}\\.${field}\\s*=\\s*${STR}`, 'm').exec(body) ?? undefined;
  const name = assign('name');
  const version = assign('version');
  if (!name || !version) {
    throw new CorruptError(
      {
        format: 'gem/gemspec',
        struct: 'specification',
        offset: start.index,
        field: !name ? 'name' : 'version',
      },
      `no ${v}.${!name ? 'name' : 'version'} assignment`,
      'in',
      'the specification block',
    );
  }
  const licenses: string[] = [];
  const single = assign('license');
  if (single) licenses.push(unquote(single, 1));
  const arr = new RegExp(`^\\s*${v}\\.licenses\\s*=\\s*\\[([^\\]\\n]*)\\]`, 'm').exec(body);
  if (arr) {
    const each = new RegExp(STR, 'g');
    for (let m = each.exec(arr[1]!); m; m = each.exec(arr[1]!)) {
      const l = unquote(m, 1);
      if (l && !licenses.includes(l)) licenses.push(l);
    }
  }
  return { name: unquote(name, 1), version: unquote(version, 1), licenses };
}

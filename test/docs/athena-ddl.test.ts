import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/paths.js';

/** A Hive/Athena column type, parsed. */
type HiveType =
  | { kind: 'scalar'; name: string }
  | { kind: 'array'; of: HiveType }
  | { kind: 'map'; key: HiveType; value: HiveType }
  | { kind: 'struct'; fields: [string, HiveType][] };

function parseType(text: string): HiveType {
  let pos = 0;
  const ws = () => {
    while (/\s/.test(text[pos] ?? '')) pos++;
  };
  const ident = (): string => {
    ws();
    const m = /^`?([A-Za-z_][A-Za-z0-9_]*)`?/.exec(text.slice(pos));
    if (!m) throw new Error(`type: identifier expected at ${pos}: ${text.slice(pos, pos + 20)}`);
    pos += m[0].length;
    return m[1]!;
  };
  const expect = (c: string) => {
    ws();
    if (text[pos] !== c) throw new Error(`type: '${c}' expected at ${pos}: ${text.slice(pos, pos + 20)}`);
    pos++;
  };
  const type = (): HiveType => {
    const name = ident().toLowerCase();
    if (name === 'array') {
      expect('<');
      const of = type();
      expect('>');
      return { kind: 'array', of };
    }
    if (name === 'map') {
      expect('<');
      const key = type();
      expect(',');
      const value = type();
      expect('>');
      return { kind: 'map', key, value };
    }
    if (name === 'struct') {
      expect('<');
      const fields: [string, HiveType][] = [];
      for (;;) {
        const f = ident();
        expect(':');
        fields.push([f, type()]);
        ws();
        if (text[pos] === ',') pos++;
        else break;
      }
      expect('>');
      return { kind: 'struct', fields };
    }
    return { kind: 'scalar', name };
  };
  const t = type();
  ws();
  if (pos !== text.length) throw new Error(`type: trailing text at ${pos}: ${text.slice(pos)}`);
  return t;
}

/** The column list of the CREATE EXTERNAL TABLE statement (top-level commas only). */
function ddlColumns(sql: string): [string, HiveType][] {
  const body = sql.replace(/--.*$/gm, '');
  const start = body.indexOf('(', body.indexOf('CREATE EXTERNAL TABLE'));
  const end = body.indexOf(')\nPARTITIONED BY');
  const inner = body.slice(start + 1, end);
  const cols: string[] = [];
  let depth = 0;
  let cur = '';
  for (const c of inner) {
    if (c === '<') depth++;
    if (c === '>') depth--;
    if (c === ',' && depth === 0) {
      cols.push(cur);
      cur = '';
    } else cur += c;
  }
  cols.push(cur);
  return cols.map((c) => {
    const m = /^\s*`([^`]+)`\s+([\s\S]+?)\s*$/.exec(c);
    if (!m) throw new Error(`column: ${c}`);
    return [m[1]!, parseType(m[2]!)];
  });
}

interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  const?: unknown;
  properties?: Record<string, JsonSchema>;
  additionalProperties?: boolean | JsonSchema;
  items?: JsonSchema;
}

/** Differences between a JSON Schema node and a Hive type, as paths (empty: compatible). */
function compare(path: string, s: JsonSchema, h: HiveType): string[] {
  const types = (Array.isArray(s.type) ? s.type : s.type ? [s.type] : []).filter((t) => t !== 'null');
  const jsonType =
    types[0] ??
    (s.enum
      ? typeof s.enum[0]
      : s.const !== undefined
        ? typeof s.const
        : s.properties
          ? 'object'
          : undefined);
  const scalar = (ok: string[]) =>
    h.kind === 'scalar' && ok.includes(h.name) ? [] : [`${path}: ${JSON.stringify(h)} for JSON ${jsonType}`];
  switch (jsonType) {
    case 'string':
      return scalar(['string', 'varchar']);
    case 'number':
      return scalar(['double', 'float', 'decimal']);
    case 'integer':
      return scalar(['int', 'bigint', 'smallint']);
    case 'boolean':
      return scalar(['boolean']);
    case 'array':
      return h.kind === 'array' ? compare(`${path}[]`, s.items ?? {}, h.of) : [`${path}: not an array`];
    case 'object': {
      if (!s.properties) {
        // Free-form: a map when the values are typed, else the raw JSON text.
        if (typeof s.additionalProperties === 'object' && h.kind === 'map')
          return compare(`${path}{}`, s.additionalProperties, h.value);
        return scalar(['string']);
      }
      if (h.kind !== 'struct') return [`${path}: not a struct`];
      return compareFields(path, s.properties, h.fields);
    }
    default:
      return [`${path}: JSON type unknown`];
  }
}

function compareFields(
  path: string,
  props: Record<string, JsonSchema>,
  fields: [string, HiveType][],
): string[] {
  const out: string[] = [];
  // Athena folds names to lower case; the OpenX SerDe matches JSON keys case-insensitively.
  const byName = new Map(fields.map(([n, t]) => [n.toLowerCase(), t]));
  for (const [name, sub] of Object.entries(props)) {
    const t = byName.get(name.toLowerCase());
    if (!t) out.push(`${path}.${name}: missing from the DDL`);
    else out.push(...compare(`${path}.${name}`, sub, t));
  }
  for (const [name] of fields)
    if (!Object.keys(props).some((p) => p.toLowerCase() === name.toLowerCase()))
      out.push(`${path}.${name}: not in the schema`);
  return out;
}

describe('docs/athena/findings.sql', () => {
  const sql = readFileSync(join(REPO_ROOT, 'docs/athena/findings.sql'), 'utf8');
  const schema = JSON.parse(
    readFileSync(join(REPO_ROOT, 'schemas/finding.schema.json'), 'utf8'),
  ) as JsonSchema;

  it('has one column per top-level property of schemas/finding.schema.json, in the schema order', () => {
    expect(ddlColumns(sql).map(([n]) => n)).toEqual(Object.keys(schema.properties!));
  });

  it('every column type (nested structs, arrays, maps included) matches the schema', () => {
    expect(compareFields('finding', schema.properties!, ddlColumns(sql))).toEqual([]);
  });

  it('the check is real: a dropped struct field, a wrong type and an extra column are each reported', () => {
    const broken = sql
      .replace('      fixedInVersion: string,\n', '')
      .replace('`inspectorScore` double', '`inspectorScore` string')
      .replace('  `updatedAt` string\n', '  `updatedAt` string,\n  `extra` int\n');
    expect(compareFields('finding', schema.properties!, ddlColumns(broken))).toEqual([
      'finding.inspectorScore: {"kind":"scalar","name":"string"} for JSON number',
      'finding.packageVulnerabilityDetails.vulnerablePackages[].fixedInVersion: missing from the DDL',
      'finding.extra: not in the schema',
    ]);
  });

  it('partitions follow the export layout (dt projected as a date, run injected)', () => {
    expect(sql).toMatch(/PARTITIONED BY \(`dt` string, `run` string\)/);
    const template = ['dt=', '$', '{dt}/run=', '$', '{run}/'].join('');
    expect(sql).toContain(`'storage.location.template' = 's3://BUCKET/PREFIX/findings/${template}'`);
  });
});

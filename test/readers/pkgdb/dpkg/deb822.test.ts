import { describe, expect, it } from 'vitest';
import { type Deb822Options, parseDeb822 } from '../../../../readers/pkgdb/dpkg/deb822.js';

const opts = { format: 'dpkg/status', maxLineBytes: 64, maxStanzas: 10 };
const parse = (s: string, o: Partial<Deb822Options> = {}) =>
  parseDeb822(Buffer.from(s, 'utf8'), { ...opts, ...o });
const fields = (s: string) => parse(s).stanzas.map((st) => Object.fromEntries(st.fields));

describe('readers/pkgdb/dpkg/deb822.ts', () => {
  it.each([
    { name: 'empty', text: '', want: [] },
    { name: 'only blank lines', text: '\n\n  \n', want: [] },
    {
      name: 'single, no trailing newline',
      text: 'Package: a\nVersion: 1',
      want: [{ package: 'a', version: '1' }],
    },
    { name: 'trailing newlines', text: 'Package: a\n\n\n\n', want: [{ package: 'a' }] },
    { name: 'multiple', text: 'Package: a\n\nPackage: b\n', want: [{ package: 'a' }, { package: 'b' }] },
    {
      name: 'field names are case-insensitive',
      text: 'PACKAGE: a\nversion:1\n',
      want: [{ package: 'a', version: '1' }],
    },
    {
      name: 'CRLF',
      text: 'Package: a\r\nVersion: 1\r\n\r\nPackage: b\r\n',
      want: [{ package: 'a', version: '1' }, { package: 'b' }],
    },
    {
      name: 'continuation lines kept verbatim',
      text: 'Description: one\n two\n  three\n .\nX: y\n',
      want: [{ description: 'one\n two\n  three\n .', x: 'y' }],
    },
    {
      name: 'empty first value',
      text: 'Conffiles:\n /etc/a 0123\n',
      want: [{ conffiles: '\n /etc/a 0123' }],
    },
    { name: 'comment lines ignored', text: '# hi\nPackage: a\n', want: [{ package: 'a' }] },
    {
      name: 'whitespace-only line ends a stanza',
      text: 'Package: a\n \t \nPackage: b\n',
      want: [{ package: 'a' }, { package: 'b' }],
    },
  ])('$name', ({ text, want }) => {
    const r = parse(text);
    expect(r.errors).toEqual([]);
    expect(fields(text)).toEqual(want);
  });

  it.each([
    {
      name: 'line without colon',
      text: 'Package: a\nnot a field\nVersion: 1\n\nPackage: b\n',
      field: 'line',
      code: 'corrupt',
      offset: 11,
    },
    {
      name: 'continuation first',
      text: ' orphan\nPackage: a\n\nPackage: b\n',
      field: 'line',
      code: 'corrupt',
      offset: 0,
    },
    {
      name: 'repeated field',
      text: 'Package: a\nPackage: a2\n\nPackage: b\n',
      field: 'Package',
      code: 'corrupt',
      offset: 11,
    },
    {
      name: 'line over MAX_LINE_BYTES',
      text: `Package: a\nDescription: ${'x'.repeat(100)}\n\nPackage: b\n`,
      field: 'line',
      code: 'limit-exceeded',
      offset: 11,
    },
    {
      name: 'over-long first line',
      text: `${'x'.repeat(100)}\n\nPackage: b\n`,
      field: 'line',
      code: 'limit-exceeded',
      offset: 0,
    },
  ])(
    'malformed stanza is skipped and reported (offset of the bad line), the next one parsed: $name',
    ({ text, field, code, offset }) => {
      const r = parse(text);
      expect(r.errors).toHaveLength(1);
      expect(r.errors[0]).toMatchObject({ code, format: 'dpkg/status', offset });
      expect((r.errors[0] as unknown as { field: string }).field).toBe(field);
      expect(r.stanzas.map((s) => s.fields.get('package'))).toEqual(['b']);
    },
  );

  it('records byte offsets and line numbers of stanzas', () => {
    const r = parse('Package: a\n\nPackage: b\n');
    expect(r.stanzas.map((s) => [s.offset, s.line])).toEqual([
      [0, 1],
      [12, 3],
    ]);
  });

  it.each([
    { n: 9, ok: true },
    { n: 10, ok: true },
    { n: 11, ok: false },
  ])('MAX_PACKAGES_PER_DB: $n stanzas with a limit of 10', ({ n, ok }) => {
    const text = Array.from({ length: n }, (_, i) => `Package: p${i}\n`).join('\n');
    if (ok) expect(parse(text).stanzas).toHaveLength(n);
    else
      expect(() => parse(text)).toThrow(
        expect.objectContaining({ code: 'limit-exceeded', limit: 'MAX_PACKAGES_PER_DB' }),
      );
  });

  it('line limit: at the limit is accepted, above is not', () => {
    const at = `X: ${'a'.repeat(61)}`; // 64 bytes
    expect(parse(at).errors).toEqual([]);
    expect(parse(`${at}a`).errors[0]?.code).toBe('limit-exceeded');
  });

  it('stops on an aborted signal', () => {
    const ac = new AbortController();
    ac.abort();
    expect(() => parse('Package: a\n', { signal: ac.signal })).toThrow(
      expect.objectContaining({ code: 'aborted' }),
    );
  });

  it('invalid UTF-8 does not throw', () => {
    const r = parseDeb822(Buffer.from([0x50, 0x3a, 0x20, 0xff, 0xfe, 0x0a]), opts);
    expect(r.stanzas).toHaveLength(1);
  });

  it('onStanza receives each stanza as it ends (same fields, none collected), and the count limit still holds', () => {
    const text = 'Package: a\nDescription: one\n two\n\nbad line\n\nPackage: b\nConffiles:\n /etc/x 01\n';
    const seen: Array<Record<string, string>> = [];
    const r = parse(text, { onStanza: (st) => seen.push(Object.fromEntries(st.fields)) });
    expect(r.stanzas).toEqual([]);
    expect(seen).toEqual(fields(text));
    expect(seen).toEqual([
      { package: 'a', description: 'one\n two' },
      { package: 'b', conffiles: '\n /etc/x 01' },
    ]);
    expect(r.errors.map((e) => e.code)).toEqual(['corrupt']);
    expect(() => parse(text, { maxStanzas: 1, onStanza: () => {} })).toThrow(
      expect.objectContaining({ code: 'limit-exceeded' }),
    );
  });
});

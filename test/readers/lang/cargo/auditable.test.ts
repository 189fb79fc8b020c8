/**
 * lang/rust-binary. cargo-auditable is not in Debian 12, so no real auditable binary is built:
 * the .dep-v0 section (zlib JSON in cargo-auditable's format) is (a) placed in a crafted ELF
 * (test/helpers/elf-builder.ts) and (b) added with `objcopy --add-section` to a real ELF (a copy of
 * /bin/true), which is how the linker leaves it too: one more section in the table. The shared
 * expected results (trivy's rust/binary TestParse; its binary is not kept) are re-created as the
 * JSON that binary carried.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type Limits } from '../../../../engine/limits.js';
import { bufferAccess } from '../../../../readers/bytes/random-access.js';
import { catalogRustBinary, readAuditableCrates } from '../../../../readers/lang/cargo/index.js';
import { buildElf } from '../../../helpers/elf-builder.js';
import { HAVE_SHARED, NO_SHARED_REASON, SHARED_FIXTURES, TEST_CACHE } from '../../../helpers/paths.js';

const limits: Limits = { ...DEFAULT_LIMITS };
const ctx = { fs: undefined as never, limits };
const depV0 = (doc: unknown) => deflateSync(Buffer.from(JSON.stringify(doc)));
const elfWith = (doc: unknown) =>
  buildElf([
    { name: '.text', data: Buffer.alloc(64, 0x90) },
    { name: '.dep-v0', data: depV0(doc), flags: 0 },
  ]);

const sample = {
  packages: [
    { name: 'app', version: '0.1.0', source: 'local', dependencies: [1, 2, 3], root: true },
    { name: 'sized-chunks', version: '0.6.2', source: 'crates.io', dependencies: [] },
    { name: 'serde', version: '1.0.190', source: 'crates.io', dependencies: [3] },
    { name: 'cc', version: '1.0.83', source: 'crates.io', kind: 'build', dependencies: [] },
  ],
};
const wantSample = [
  ['app', '0.1.0', 'pkg:cargo/app@0.1.0', 'root', ['serde@1.0.190', 'sized-chunks@0.6.2']],
  ['sized-chunks', '0.6.2', 'pkg:cargo/sized-chunks@0.6.2', 'unknown', []],
  ['serde', '1.0.190', 'pkg:cargo/serde@1.0.190', 'unknown', []],
];
const rows = (r: Awaited<ReturnType<typeof catalogRustBinary>>) =>
  r.packages.map((p) => [p.name, p.version, p.purl, p.metadata?.relationship, p.metadata?.dependsOn]);

describe('readers/lang/rust-binary', () => {
  it('crafted ELF: runtime crates, root marked, build-only crates left out', async () => {
    const res = await catalogRustBinary(bufferAccess(elfWith(sample), 'app'), '/usr/bin/app', ctx);
    expect(rows(res)).toEqual(wantSample);
    expect(res.packages.every((p) => p.type === 'cargo' && p.locations[0]!.path === '/usr/bin/app')).toBe(
      true,
    );
  });

  const haveObjcopy = spawnSync('sh', ['-c', 'command -v objcopy']).status === 0;
  it.skipIf(!haveObjcopy)('a real ELF (/bin/true) with .dep-v0 added by objcopy', async () => {
    const dir = join(TEST_CACHE, 'lang/rust-binary');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'dep-v0.z'), depV0(sample));
    execFileSync('objcopy', [
      '--add-section',
      `.dep-v0=${join(dir, 'dep-v0.z')}`,
      '/bin/true',
      join(dir, 'true-auditable'),
    ]);
    const res = await catalogRustBinary(
      bufferAccess(readFileSync(join(dir, 'true-auditable')), 't'),
      '/t',
      ctx,
    );
    expect(rows(res)).toEqual(wantSample);
    // The same ELF without the section: nothing, no error.
    expect(await catalogRustBinary(bufferAccess(readFileSync('/bin/true'), 't'), '/t', ctx)).toEqual({
      packages: [],
      errors: [],
    });
  });

  it.each([
    { case: 'not zlib', data: Buffer.from('not compressed'), l: {}, code: 'corrupt' },
    { case: 'not JSON', data: deflateSync('{"packages": ['), l: {}, code: 'corrupt' },
    { case: 'packages not an array', data: depV0({ packages: 3 }), l: {}, code: 'corrupt' },
    { case: 'package without version', data: depV0({ packages: [{ name: 'x' }] }), l: {}, code: 'corrupt' },
    {
      case: 'dependency index out of range',
      data: depV0({ packages: [{ name: 'x', version: '1', dependencies: [5] }] }),
      l: {},
      code: 'corrupt',
    },
    {
      case: 'inflates past MAX_CARGO_AUDIT_BYTES',
      data: deflateSync(Buffer.alloc(100_000, 0x20)),
      l: { MAX_CARGO_AUDIT_BYTES: 50_000 },
      code: 'limit-exceeded',
    },
    {
      case: 'section above MAX_CARGO_AUDIT_BYTES',
      data: depV0(sample),
      l: { MAX_CARGO_AUDIT_BYTES: 16 },
      code: 'limit-exceeded',
    },
  ])('$case → $code', async ({ data, l, code }) => {
    const elf = buildElf([{ name: '.dep-v0', data }]);
    const err = await readAuditableCrates(bufferAccess(elf, 'x'), { ...limits, ...l }).catch(
      (e: unknown) => e,
    );
    expect((err as { code?: string }).code).toBe(code);
  });

  it('a file that is not an executable yields nothing', async () => {
    expect(await catalogRustBinary(bufferAccess(Buffer.alloc(100, 0x41), 'x'), '/x', ctx)).toEqual({
      packages: [],
      errors: [],
    });
  });
});

type Want = { id: string; name: string; version: string; relationship: string };
const shared = HAVE_SHARED
  ? (
      JSON.parse(readFileSync(join(SHARED_FIXTURES, 'lang/rust-auditable/expected.json'), 'utf8')) as {
        cases: Array<{
          case: string;
          file: string;
          want?: Want[];
          wantDeps?: Array<{ id: string; dependsOn: string[] }>;
          wantErr?: string;
        }>;
      }
    ).cases
  : [];

describe.skipIf(!HAVE_SHARED)(
  'readers/lang/rust-binary: shared expected results (trivy rust/binary TestParse)',
  () => {
    if (!HAVE_SHARED) it.skip(NO_SHARED_REASON, () => {});
    it.each(shared.filter((c) => c.want))('$case ($file): re-created .dep-v0', async (c) => {
      const names = c.want!.map((w) => w.id);
      const doc = {
        packages: c.want!.map((w) => ({
          name: w.name,
          version: w.version,
          source: 'local',
          root: w.relationship === 'root',
          dependencies: (c.wantDeps?.find((d) => d.id === w.id)?.dependsOn ?? []).map((id) =>
            names.indexOf(id),
          ),
        })),
      };
      const res = await catalogRustBinary(bufferAccess(elfWith(doc), c.file), c.file, ctx);
      expect(
        res.packages.map((p) => ({
          id: `${p.name}@${p.version}`,
          name: p.name,
          version: p.version,
          relationship: p.metadata?.relationship,
        })),
      ).toEqual(c.want);
      const deps = res.packages
        .filter((p) => ((p.metadata?.dependsOn as string[] | undefined) ?? []).length > 0)
        .map((p) => ({ id: `${p.name}@${p.version}`, dependsOn: p.metadata?.dependsOn }));
      expect(deps).toEqual(c.wantDeps);
    });

    it.each(shared.filter((c) => c.wantErr))('$case ($file): $wantErr', async (c) => {
      const err = await readAuditableCrates(
        bufferAccess(readFileSync(join(SHARED_FIXTURES, 'lang/rust-auditable', c.file)), c.file),
        limits,
      ).catch((e: unknown) => e);
      expect((err as Error).message).toContain(c.wantErr);
    });
  },
);

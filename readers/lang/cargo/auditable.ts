/**
 * lang/rust-binary (in lang/cargo): Rust executables built with `cargo auditable` → the crates compiled into them.
 *
 * cargo-auditable links a section holding zlib-compressed JSON (https://github.com/rust-secure-code/cargo-auditable,
 * format: rust-secure-code/cargo-auditable/PARSING.md and auditable-serde):
 *   ELF `.dep-v0` · Mach-O `__DATA,.dep-v0` · PE `.dep-v0` (8-char names: as written)
 *   {"packages":[{"name":"…","version":"…","source":"crates.io"|"local"|"git"|"registry"|"builtin",
 *                 "kind":"runtime"|"build"  (absent = runtime), "dependencies":[indices], "root":true?}, …]}
 *
 * Output (Inspector's packageManager CARGO, OSV ecosystem crates.io): one Package per runtime crate,
 * purl `pkg:cargo/<name>@<version>`, relationship `root` for the root crate; build-time-only crates
 * (build scripts, proc macros: `kind: build`) are not in the binary and are left out; dependsOn
 * lists the `name@version` of each dependency index. Bounds: the section and the inflated JSON are
 * at most MAX_CARGO_AUDIT_BYTES (inflation stops there); a binary without the section yields nothing.
 */
import { inflateSync } from 'node:zlib';
import { CorruptError, LimitExceededError, ScanError } from '../../../engine/errors.js';
import { DEFAULT_LIMITS, GiB, type Limits } from '../../../engine/limits.js';
import type { Package } from '../../../engine/model/package.js';
import { bufferAccess, type RandomAccess } from '../../bytes/random-access.js';
import type { CatalogContext, Cataloger, CatalogFile, CatalogResult } from '../../cataloger.js';
import { isExecutableHeader, mayBeExecutable, openExecutable, readSection } from '../executable.js';
import { cargoType } from './type.js';

const id = 'lang/rust-binary';

export interface AuditableCrate {
  name: string;
  version: string;
  source: string;
  kind: 'runtime' | 'build';
  root: boolean;
  dependsOn: string[];
}

const SECTION = '.dep-v0';

/** The crates of a binary's .dep-v0 section; undefined when it has none (not auditable). */
export async function readAuditableCrates(
  ra: RandomAccess,
  limits: Limits,
): Promise<AuditableCrate[] | undefined> {
  const exe = await openExecutable(ra, limits);
  const sec = exe.sections.find((s) => s.name === SECTION && s.size > 0);
  if (!sec) return undefined;
  const z = await readSection(ra, sec, limits.MAX_CARGO_AUDIT_BYTES, 'MAX_CARGO_AUDIT_BYTES');
  const loc = { format: 'cargo-auditable', struct: `section ${SECTION}`, offset: sec.offset };
  let json: Buffer;
  try {
    json = inflateSync(z, { maxOutputLength: limits.MAX_CARGO_AUDIT_BYTES });
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new LimitExceededError(
        { ...loc, field: 'inflated size' },
        'MAX_CARGO_AUDIT_BYTES',
        limits.MAX_CARGO_AUDIT_BYTES + 1,
        limits.MAX_CARGO_AUDIT_BYTES,
      );
    }
    throw new CorruptError({ ...loc, field: 'zlib stream' }, (err as Error).message, 'in', 'zlib data');
  }
  let doc: unknown;
  try {
    doc = JSON.parse(json.toString('utf8'));
  } catch (err) {
    throw new CorruptError({ ...loc, field: 'JSON' }, (err as Error).message, 'in', 'auditable JSON');
  }
  return decodeAuditable(doc, loc);
}

/** Checks the JSON's shape: a bad package element is an error naming its index. */
export function decodeAuditable(
  doc: unknown,
  loc: { format: string; struct: string; offset: number },
): AuditableCrate[] {
  const pkgs = (doc as { packages?: unknown })?.packages;
  if (!Array.isArray(pkgs))
    throw new CorruptError({ ...loc, field: 'packages' }, typeof pkgs, 'is not', 'an array');
  const raw = pkgs.map((p: unknown, i) => {
    const o = p as Record<string, unknown>;
    if (typeof o?.name !== 'string' || typeof o.version !== 'string') {
      throw new CorruptError(
        { ...loc, field: `packages[${i}]` },
        JSON.stringify(p)?.slice(0, 80),
        'lacks',
        'name and version strings',
      );
    }
    const deps = Array.isArray(o.dependencies) ? o.dependencies : [];
    for (const d of deps) {
      if (!Number.isInteger(d) || (d as number) < 0 || (d as number) >= pkgs.length) {
        throw new CorruptError(
          { ...loc, field: `packages[${i}].dependencies` },
          d,
          'is not an index below',
          pkgs.length,
        );
      }
    }
    return {
      name: o.name,
      version: o.version,
      source: typeof o.source === 'string' ? o.source : 'crates.io',
      kind: o.kind === 'build' ? ('build' as const) : ('runtime' as const),
      root: o.root === true,
      deps: deps as number[],
    };
  });
  return raw.map((r) => ({
    name: r.name,
    version: r.version,
    source: r.source,
    kind: r.kind,
    root: r.root,
    dependsOn: r.deps
      .filter((d) => raw[d]!.kind === 'runtime')
      .map((d) => `${raw[d]!.name}@${raw[d]!.version}`)
      .sort(),
  }));
}

export async function catalogRustBinary(
  source: RandomAccess,
  path: string,
  ctx: CatalogContext,
): Promise<CatalogResult> {
  let crates: AuditableCrate[] | undefined;
  try {
    crates = await readAuditableCrates(source, ctx.limits ?? DEFAULT_LIMITS);
  } catch (err) {
    // Not an executable: not ours, nothing to report.
    if (err instanceof ScanError && err.code === 'bad-magic') return { packages: [], errors: [] };
    throw err;
  }
  const packages: Package[] = (crates ?? [])
    .filter((c) => c.kind === 'runtime')
    .map((c) => ({
      foundBy: id,
      type: cargoType.id,
      name: c.name,
      version: c.version,
      purl: cargoType.purl({ name: c.name, version: c.version }),
      locations: [{ path }],
      metadata: { relationship: c.root ? 'root' : 'unknown', source: c.source, dependsOn: c.dependsOn },
    }));
  return { packages, errors: [] };
}

export const rustBinaryCataloger: Cataloger = {
  id,
  displayName: 'Rust binaries (cargo auditable)',
  kind: 'lang',
  version: 1,
  specUrls: ['https://github.com/rust-secure-code/cargo-auditable/blob/master/PARSING.md'],
  wants: (path, stat) => mayBeExecutable(path, stat),
  maxBytes: 2 * GiB,
  randomAccess: true,
  executables: true,
  magic: isExecutableHeader,
  catalog: (file: CatalogFile, ctx: CatalogContext) =>
    catalogRustBinary(file.source ?? bufferAccess(file.bytes, file.path), file.path, ctx),
};

/**
 * lang/go-binary (in lang/golang): Go executables (ELF, PE, Mach-O) → the Go modules compiled into them and the
 * standard library at the toolchain's version. Build info format: buildinfo.ts.
 *
 * Output (Inspector's packageManager GOBINARY, OSV ecosystem Go), per binary:
 * - the main module (relationship `root`) — its version is the build info's, except that a binary
 *   built from a checkout says `(devel)` (Go < 1.24) or a pseudo-version: then a version set with
 *   `-ldflags "-X <pkg>.version=1.2.3"` (a variable named version/ver, a value that looks like a
 *   version) is used, `v`-prefixed like every module version; else the version is empty (unknown).
 * - `stdlib` at the toolchain version (`go1.22.1 X:boringcrypto` → `v1.22.1`), relationship `direct`.
 * - every dep; a dep replaced by another module version (`=> path version`) is reported as that
 *   replacement (that is the code compiled in); a dep replaced by a local directory (`=> ./fork`,
 *   version empty or `(devel)`) keeps its path with an empty version — what was built is unknown — and names the
 *   directory in metadata.replace.
 * purl `pkg:golang/<module path>@<version>`.
 */
import { ScanError } from '../../../engine/errors.js';
import { DEFAULT_LIMITS, GiB } from '../../../engine/limits.js';
import type { Package } from '../../../engine/model/package.js';
import { bufferAccess, type RandomAccess } from '../../bytes/random-access.js';
import type { CatalogContext, Cataloger, CatalogFile, CatalogResult } from '../../cataloger.js';
import { isExecutableHeader, mayBeExecutable } from '../executable.js';
import { type GoBuildInfo, type GoModule, readGoBuildInfo } from './buildinfo.js';

import { golangType } from './type.js';

export { type GoBuildInfo, type GoModule, parseModInfo, readGoBuildInfo } from './buildinfo.js';

const id = 'lang/go-binary';

export type GoRelationship = 'root' | 'direct' | 'unknown';

export interface GoPackage {
  name: string;
  version: string;
  relationship: GoRelationship;
  replace?: GoModule;
  sum?: string;
}

/** `go1.22.1`, `go1.22.1 X:boringcrypto`, `go1.21rc2` → `v1.22.1` / `v1.21rc2`; devel builds → undefined. */
export function stdlibVersion(goVersion: string): string | undefined {
  const m = /^go(\d+(?:\.\d+)*(?:(?:rc|beta)\d+)?)(?:\s|$)/.exec(goVersion);
  return m ? `v${m[1]}` : undefined;
}

/** cmd/go's quoted.Split: fields separated by blanks, '…' and "…" group. */
export function splitFlags(s: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quote: string | undefined;
  let any = false;
  for (const ch of s) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else cur += ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      any = true;
    } else if (/\s/.test(ch)) {
      if (cur || any) out.push(cur);
      cur = '';
      any = false;
    } else {
      cur += ch;
    }
  }
  if (cur || any) out.push(cur);
  return out;
}

const VERSION_LIKE = /^v?\d+(\.\d+){0,2}([-+][0-9A-Za-z.+-]*)?$/;

/** The version an `-X importpath.name=value` flag in -ldflags sets, when name is version/ver. */
export function ldflagsVersion(ldflags: string): string | undefined {
  const args = splitFlags(ldflags);
  for (let i = 0; i < args.length; i++) {
    const a = args[i]!;
    let def: string | undefined;
    if (a === '-X' || a === '--X') def = args[++i];
    else if (a.startsWith('-X=') || a.startsWith('--X=')) def = a.slice(a.indexOf('=') + 1);
    if (!def) continue;
    const eq = def.indexOf('=');
    if (eq < 0) continue;
    const sym = def.slice(0, eq);
    const value = def.slice(eq + 1);
    const name = sym.slice(sym.lastIndexOf('.') + 1).toLowerCase();
    if ((name === 'version' || name === 'ver') && VERSION_LIKE.test(value)) {
      return value.startsWith('v') ? value : `v${value}`;
    }
  }
  return undefined;
}

const PSEUDO = /^v\d+\.\d+\.\d+-(?:0\.)?\d{14}-[0-9a-f]{12}(\+dirty)?$|-0\.\d{14}-[0-9a-f]{12}(\+dirty)?$/;

/** The packages a binary's build info describes, in a stable order: main, stdlib, deps. */
export function goPackages(info: GoBuildInfo): GoPackage[] {
  const out: GoPackage[] = [];
  if (info.main?.path) {
    let v = info.main.version;
    if (v === '(devel)' || v === '' || PSEUDO.test(v) || v.endsWith('+dirty')) {
      const ld = info.settings.find((s) => s.key === '-ldflags');
      const fromLd = ld ? ldflagsVersion(ld.value) : undefined;
      v = fromLd ?? (v === '(devel)' ? '' : v);
    }
    out.push({ name: info.main.path, version: v, relationship: 'root' });
  }
  const std = stdlibVersion(info.goVersion);
  if (std) out.push({ name: 'stdlib', version: std, relationship: 'direct' });
  for (const d of info.deps) {
    if (d.replace?.version && d.replace.version !== '(devel)') {
      out.push({
        name: d.replace.path,
        version: d.replace.version,
        relationship: 'unknown',
        replace: { path: d.path, version: d.version },
        ...(d.replace.sum ? { sum: d.replace.sum } : {}),
      });
    } else if (d.replace) {
      out.push({ name: d.path, version: '', relationship: 'unknown', replace: d.replace });
    } else {
      out.push({
        name: d.path,
        version: d.version,
        relationship: 'unknown',
        ...(d.sum ? { sum: d.sum } : {}),
      });
    }
  }
  return out;
}

/**
 * Catalogs one executable. Not an executable, or an executable without Go build info (a C
 * program, a Go binary built outside module mode before Go 1.18): no packages and no error — it is
 * simply not a Go binary. Anything wrong after the build info header was found is an error.
 */
export async function catalogGoBinary(
  source: RandomAccess,
  path: string,
  ctx: CatalogContext,
): Promise<CatalogResult> {
  let info: GoBuildInfo;
  try {
    info = await readGoBuildInfo(source, ctx.limits ?? DEFAULT_LIMITS);
  } catch (err) {
    if (isNotGo(err)) return { packages: [], errors: [] };
    throw err;
  }
  const packages: Package[] = goPackages(info).map((g) => ({
    foundBy: id,
    type: golangType.id,
    name: g.name,
    version: g.version,
    purl: golangType.purl({ name: g.name, version: g.version }),
    locations: [{ path }],
    metadata: {
      relationship: g.relationship,
      goVersion: info.goVersion,
      ...(g.replace ? { replace: g.replace } : {}),
      ...(g.sum ? { sum: g.sum } : {}),
      ...(g.relationship === 'root' && info.main ? { buildInfoVersion: info.main.version } : {}),
    },
  }));
  return { packages, errors: [] };
}

function isNotGo(err: unknown): boolean {
  return (
    err instanceof ScanError &&
    (err.code === 'bad-magic' || (err.code === 'not-found' && err.message.startsWith('go-buildinfo:')))
  );
}

export const goBinaryCataloger: Cataloger = {
  id,
  displayName: 'Go binaries (module build info)',
  kind: 'lang',
  version: 1,
  specUrls: ['https://go.dev/src/debug/buildinfo/buildinfo.go', 'https://pkg.go.dev/runtime/debug#BuildInfo'],
  wants: (path, stat) => mayBeExecutable(path, stat),
  maxBytes: 2 * GiB,
  randomAccess: true,
  executables: true,
  magic: isExecutableHeader,
  catalog: (file: CatalogFile, ctx: CatalogContext) =>
    catalogGoBinary(file.source ?? bufferAccess(file.bytes, file.path), file.path, ctx),
};

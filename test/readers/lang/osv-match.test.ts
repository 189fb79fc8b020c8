/**
 * Language packages from binaries and archives, matched against real OSV records
 * (../shared/vulndata/osv, parsed by engine/vulndb's own ingest) through the package-type registry:
 * - a Go binary built with golang-go requiring golang.org/x/text v0.3.5 → GO-2021-0113 (fixed 0.3.7)
 *   and GO-2022-1059 (fixed 0.3.8), not GO-2020-0015 (fixed 0.3.3); stdlib matched at the toolchain version;
 * - a Spring Boot jar with log4j-core 2.14.1 nested in BOOT-INF/lib → GHSA-p6xc-xr62-6r2g
 *   (CVE-2021-45105, fixed 2.17.0 on the 2.13 branch) with the nested file path; 2.17.1 → nothing;
 * - a cargo-auditable binary with sized-chunks 0.6.2 → GHSA-mp6f-p9gp-vpj9 (fixed 0.6.3).
 * Findings carry Inspector's packageManager (GOBINARY, JAR, CARGO) and the file path.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { buildFindings } from '../../../engine/findings/build.js';
import { DEFAULT_LIMITS } from '../../../engine/limits.js';
import { matchDetailed } from '../../../engine/match/matcher.js';
import { type AdvisoryEntry, MemoryLookup } from '../../../engine/match/memory-lookup.js';
import type { Package } from '../../../engine/model/package.js';
import { parseOsvRecord, parseOsvText } from '../../../engine/vulndb/ingest/osv.js';
import { bufferAccess } from '../../../readers/bytes/random-access.js';
import { catalogRustBinary } from '../../../readers/lang/cargo/index.js';
import { catalogGoBinary } from '../../../readers/lang/golang/index.js';
import { catalogJar } from '../../../readers/lang/jar/index.js';
import { buildElf } from '../../helpers/elf-builder.js';
import { goBinaries } from '../../helpers/go-binaries.js';
import { SHARED_VULNDATA } from '../../helpers/paths.js';
import { buildZip, pomProperties } from '../../helpers/zip-builder.js';

const osv = join(SHARED_VULNDATA, 'osv');
const haveOsv = existsSync(join(osv, 'Go')) && existsSync(join(osv, 'Maven'));
const ctx = { fs: undefined as never, limits: { ...DEFAULT_LIMITS } };

function osvDir(dir: string): AdvisoryEntry[] {
  const out: AdvisoryEntry[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d, { withFileTypes: true }).sort((a, b) => (a.name < b.name ? -1 : 1))) {
      if (f.isDirectory()) walk(join(d, f.name));
      else if (f.name.endsWith('.json')) {
        for (const doc of parseOsvText(readFileSync(join(d, f.name), 'utf8'), f.name))
          out.push(parseOsvRecord(doc));
      }
    }
  };
  walk(dir);
  return out;
}

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((f) =>
    f.isDirectory() ? jsonFiles(join(dir, f.name)) : f.name.endsWith('.json') ? [join(dir, f.name)] : [],
  );
}

function findings(packages: Package[], ecosystemDir: string) {
  const { matches } = matchDetailed(packages, undefined, new MemoryLookup(osvDir(join(osv, ecosystemDir))));
  const fs = buildFindings(matches, {
    awsAccountId: '000000000000',
    resource: { type: 'LOCAL_IMAGE', id: 'disk' },
    lookup: { epss: () => undefined, kev: () => undefined, cvssFor: () => [] },
    clock: () => new Date(0),
  });
  return { matches, findings: fs };
}

const built = goBinaries();

describe.skipIf(!haveOsv)('readers/lang: binaries and archives matched against OSV', () => {
  it.skipIf(typeof built !== 'string')('Go binary: golang.org/x/text v0.3.5 and stdlib', async () => {
    const file = join(built as string, 'app-ldflags');
    const { packages } = await catalogGoBinary(
      bufferAccess(readFileSync(file), file),
      '/usr/local/bin/app',
      ctx,
    );
    const { matches, findings: fs } = findings(packages, 'Go');
    const text = matches.filter((m) => m.package.name === 'golang.org/x/text');
    // Oracle, independent of engine/versioning: every x/text record whose ranges are
    // introduced 0 → fixed F with F above 0.3.5 by numeric tuple (the records here are all of that form).
    const tuple = (v: string) => v.split('.').map(Number);
    const above = (a: number[], b: number[]) => {
      for (let i = 0; i < 3; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) > (b[i] ?? 0);
      return false;
    };
    const want = jsonFiles(join(osv, 'Go'))
      .map((f) => JSON.parse(readFileSync(f, 'utf8')))
      .filter((d) =>
        d.affected?.some(
          (a: { package: { name: string }; ranges?: Array<{ events: Array<Record<string, string>> }> }) =>
            a.package.name === 'golang.org/x/text' &&
            a.ranges?.some((r) => r.events.some((e) => e.fixed && above(tuple(e.fixed), [0, 3, 5]))),
        ),
      )
      .map((d) => d.id as string)
      .sort();
    expect(want).toContain('GO-2021-0113');
    expect(want).toContain('GO-2022-1059');
    expect(want).not.toContain('GO-2020-0015');
    expect(text.flatMap((m) => m.advisoryIds).sort()).toEqual(want);
    expect(text.every((m) => m.status === 'affected')).toBe(true);
    // stdlib is matched at the toolchain's version: every stdlib match has a fix above it.
    const std = packages.find((p) => p.name === 'stdlib')!;
    const stdMatches = matches.filter((m) => m.package === std);
    expect(stdMatches.length).toBeGreaterThan(0);
    for (const m of stdMatches) expect(m.status).toBe('affected');
    // A fix below the binary's toolchain is never reported (GO-2022-0988: fixed in 1.19.1).
    if (std.version >= 'v1.19.1')
      expect(stdMatches.flatMap((m) => m.advisoryIds)).not.toContain('GO-2022-0988');
    const vp = fs
      .filter((f) => f.packageVulnerabilityDetails.vulnerabilityId === 'CVE-2021-38561')
      .map((f) => f.packageVulnerabilityDetails.vulnerablePackages[0]!);
    expect(vp.map((v) => [v.name, v.version, v.packageManager, v.filePath, v.fixedInVersion])).toEqual([
      ['golang.org/x/text', 'v0.3.5', 'GOBINARY', '/usr/local/bin/app', '0.3.7'],
    ]);
    // The replaced-by-a-local-directory dep has no version: never matched as "not affected" silently.
    const local = packages.find((p) => p.name === 'example.com/lib')!;
    expect(local.version).toBe('');
  });

  it.each([
    { version: '2.14.1', want: ['GHSA-p6xc-xr62-6r2g'] },
    { version: '2.17.1', want: [] },
  ])('Spring Boot jar with log4j-core $version in BOOT-INF/lib → $want', async ({ version, want }) => {
    const log4j = buildZip([
      {
        name: 'META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties',
        data: pomProperties('org.apache.logging.log4j', 'log4j-core', version),
      },
    ]);
    const app = buildZip([
      {
        name: 'META-INF/maven/com.example/app/pom.properties',
        data: pomProperties('com.example', 'app', '1.0.0'),
      },
      { name: `BOOT-INF/lib/log4j-core-${version}.jar`, data: log4j, method: 'store' },
    ]);
    const { packages } = await catalogJar(bufferAccess(app, 'app.jar'), '/opt/app.jar', ctx);
    const { matches, findings: fs } = findings(packages, 'Maven');
    expect(matches.flatMap((m) => m.advisoryIds).sort()).toEqual(want);
    const vp = fs.map((f) => f.packageVulnerabilityDetails.vulnerablePackages[0]!);
    expect(vp.map((v) => [v.name, v.version, v.packageManager, v.filePath])).toEqual(
      want.map(() => [
        'org.apache.logging.log4j:log4j-core',
        version,
        'JAR',
        `/opt/app.jar!/BOOT-INF/lib/log4j-core-${version}.jar`,
      ]),
    );
    if (want.length) expect(fs[0]!.packageVulnerabilityDetails.vulnerabilityId).toBe('CVE-2021-45105');
  });

  it.skipIf(!existsSync(join(osv, 'crates.io')))(
    'cargo-auditable binary: sized-chunks 0.6.2 → GHSA-mp6f-p9gp-vpj9',
    async () => {
      const doc = {
        packages: [
          { name: 'app', version: '0.1.0', source: 'local', dependencies: [1], root: true },
          { name: 'sized-chunks', version: '0.6.2', source: 'crates.io', dependencies: [] },
        ],
      };
      const elf = buildElf([{ name: '.dep-v0', data: deflateSync(JSON.stringify(doc)) }]);
      const { packages } = await catalogRustBinary(bufferAccess(elf, 'app'), '/usr/bin/app', ctx);
      const { matches, findings: fs } = findings(packages, 'crates.io');
      expect(matches.flatMap((m) => m.advisoryIds)).toEqual(['GHSA-mp6f-p9gp-vpj9']);
      const v = fs[0]!.packageVulnerabilityDetails.vulnerablePackages[0]!;
      expect([v.name, v.version, v.packageManager, v.filePath, v.fixedInVersion]).toEqual([
        'sized-chunks',
        '0.6.2',
        'CARGO',
        '/usr/bin/app',
        '0.6.3',
      ]);
    },
  );
});

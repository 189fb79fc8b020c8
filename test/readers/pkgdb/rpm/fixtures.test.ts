/**
 * The shared rpmdb fixtures (see /work/shared/fixtures/PROVENANCE.md): each *.expected.json's
 * `compare` note is followed, the collector's `rpm -qa` cross-checks are compared, and Debian's
 * rpm 4.18 is run live as an oracle where it reads the format (sqlite, bdb_ro; it has no ndb).
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import type { Package } from '../../../../engine/model/package.js';
import type { CatalogContext } from '../../../../readers/cataloger.js';
import { catalogRpmDb, readRpmDb, rpmManifestCataloger } from '../../../../readers/pkgdb/rpm/index.js';
import { decodeRpmPackage, type RpmPackageRecord } from '../../../../readers/pkgdb/rpm/record.js';
import { HAVE_SHARED, NO_SHARED_REASON, SHARED_FIXTURES } from '../../../helpers/paths.js';
import { haveRpm, rpmQa } from './rpm-oracle.js';

const DIR = resolve(SHARED_FIXTURES, 'rpmdb');
const fixture = (name: string) => resolve(DIR, name);
const expected = (name: string) => JSON.parse(readFileSync(fixture(name), 'utf8'));
const ctx = (): CatalogContext => ({ limits: { ...DEFAULT_LIMITS } }) as unknown as CatalogContext;
const HAVE_RPM = haveRpm();

function records(file: string): RpmPackageRecord[] {
  return readRpmDb(readFileSync(fixture(file))).records.map((r) => decodeRpmPackage(r.blob));
}

/** The fields the collector's JSON lists for each package, from our record. */
function summaryFields(r: RpmPackageRecord) {
  return {
    epoch: r.epoch ?? null,
    name: r.name,
    version: r.version,
    release: r.release,
    arch: r.arch,
    sourceRpm: r.sourceRpm,
    size: r.size,
    license: r.license,
    vendor: r.vendor ?? '',
    modularityLabel: r.modularityLabel ?? '',
    summary: r.summary,
    sigMD5: r.sigMD5,
  };
}

/** Reads fixtures when a test runs, not at collection (they may be absent). */
function lazy<T>(f: () => T): () => T {
  let v: { x: T } | undefined;
  return () => {
    v ??= { x: f() };
    return v.x;
  };
}

function pick<T extends object>(o: T, keys: string[]): Record<string, unknown> {
  return Object.fromEntries(keys.map((k) => [k, (o as Record<string, unknown>)[k]]));
}

function oracleLines(pkgs: Package[]): string[] {
  return pkgs.map(
    (p) => `${p.name}\t${p.epoch ?? 0}:${p.upstreamVersion}-${p.release}\t${p.arch ?? '(none)'}`,
  );
}

const TITLE = `readers/pkgdb/rpm (shared fixtures${HAVE_SHARED ? '' : `: skipped, ${NO_SHARED_REASON}`})`;

describe.skipIf(!HAVE_SHARED)(TITLE, () => {
  it('formats are detected by content', () => {
    const formats = [
      'cbl-mariner2-sqlite.rpmdb.sqlite',
      'centos8-dive-bdb.Packages',
      'sle15-bci-ndb.Packages.db',
    ].map((f) => readRpmDb(readFileSync(fixture(f))).format);
    expect(formats).toEqual(['sqlite', 'bdb', 'ndb']);
  });

  describe('cbl-mariner2-sqlite (go-rpmdb TestRpmDB_Package "curl")', () => {
    const exp = lazy(() => expected('cbl-mariner2-sqlite.expected.json'));
    const recs = lazy(() => records('cbl-mariner2-sqlite.rpmdb.sqlite'));
    const curl = lazy(() => recs().find((r) => r.name === 'curl')!);

    it('curl equals `package` on every listed field', () => {
      expect(curl()).toBeDefined();
      expect(pick(curl(), Object.keys(exp().package))).toEqual(exp().package);
    });

    it('installed files (path, mode, digest, size, owner, flags) and names', () => {
      expect(curl().files).toEqual(exp().installedFiles);
      expect(curl().files.map((f) => f.path)).toEqual(exp().installedFileNames);
    });

    it('package count equals rpm -qa (packageCount_rpm_oracle)', () => {
      expect(recs().length).toBe(exp().packageCount_rpm_oracle);
    });

    it('every package equals the collector rpm -qa list, in order', () => {
      const qa = expected('cbl-mariner2-sqlite.rpm-qa.json').packages;
      expect(recs().map(summaryFields)).toEqual(qa);
    });

    it.skipIf(!HAVE_RPM)(
      'live oracle: rpm --dbpath -qa (sqlite backend) lists the same, in order',
      async () => {
        const res = await catalogRpmDb(
          {
            path: '/var/lib/rpm/rpmdb.sqlite',
            bytes: readFileSync(fixture('cbl-mariner2-sqlite.rpmdb.sqlite')),
          },
          ctx(),
        );
        const want = rpmQa(fixture('cbl-mariner2-sqlite.rpmdb.sqlite'), 'rpmdb.sqlite', 'sqlite');
        expect(want.length).toBe(129);
        expect(oracleLines([...res.packages, ...res.gpgPubkeys])).toEqual(want);
      },
    );
  });

  describe.each([
    { file: 'centos8-dive-bdb.Packages', exp: 'centos8-dive-bdb.expected.json' },
    { file: 'fedora32-hello-epoch-bdb.Packages', exp: 'fedora32-hello-epoch-bdb.expected.json' },
  ])('$file (one-package Berkeley DB)', ({ file, exp: expFile }) => {
    const exp = lazy(() => expected(expFile));
    const recs = lazy(() => records(file));

    it('exactly the expected packages with their metadata', () => {
      expect(recs()).toHaveLength(exp().packages.length);
      const keys = Object.keys(exp().packages[0]).filter((k) => k !== 'files' && k !== 'epoch');
      // The peers are Go: an absent string tag reads as "".
      const norm = (r: RpmPackageRecord) => ({
        ...r,
        vendor: r.vendor ?? '',
        modularityLabel: r.modularityLabel ?? '',
      });
      expect(recs().map((r) => ({ ...pick(norm(r), keys), epoch: r.epoch ?? null }))).toEqual(
        exp().packages.map((p: Record<string, unknown>) => ({ ...pick(p, keys), epoch: p.epoch })),
      );
    });

    it('agrees with the collector rpm oracle (packages_rpm_oracle)', () => {
      const o = exp().packages_rpm_oracle as Array<Record<string, unknown>>;
      expect(recs().map((r) => ({ ...pick(r, Object.keys(o[0]!)), epoch: r.epoch ?? null }))).toEqual(o);
    });

    it.skipIf(!HAVE_RPM)('live oracle: rpm -qa --define "_db_backend bdb_ro"', async () => {
      const res = await catalogRpmDb(
        { path: '/var/lib/rpm/Packages', bytes: readFileSync(fixture(file)) },
        ctx(),
      );
      expect(oracleLines(res.packages)).toEqual(rpmQa(fixture(file), 'Packages', 'bdb_ro'));
    });
  });

  it('centos8-dive: syft files list and package (name, version, license); our purl has no namespace without an OS', async () => {
    const exp = expected('centos8-dive-bdb.expected.json');
    const [dive] = records('centos8-dive-bdb.Packages');
    expect(dive!.digestAlgorithm).toBe('PGPHASHALGO_SHA256');
    expect(
      dive!.files.map((f) => ({
        path: f.path,
        mode: f.mode,
        size: f.size,
        digest: { algorithm: 'sha256', value: f.digest },
      })),
    ).toEqual(exp.packages[0].files);
    const res = await catalogRpmDb(
      { path: '/var/lib/rpm/Packages', bytes: readFileSync(fixture('centos8-dive-bdb.Packages')) },
      ctx(),
    );
    const p = res.packages[0]!;
    expect({ name: p.name, version: p.version, license: p.licenses?.[0] }).toEqual(
      pick(exp.syftPackage, ['name', 'version', 'license']),
    );
    // syft adds a non-standard `upstream` qualifier; the purl-spec rpm type has arch/epoch/distro.
    expect(p.purl).toBe('pkg:rpm/dive@0.9.2-1?arch=x86_64');
    expect(p.metadata?.files).toEqual(['/usr/local/bin/dive']);
  });

  it('fedora32-hello-epoch: scalibr package (version-release joined, epoch 1, licenses)', async () => {
    const exp = expected('fedora32-hello-epoch-bdb.expected.json').scalibrPackage;
    const res = await catalogRpmDb(
      { path: '/var/lib/rpm/Packages', bytes: readFileSync(fixture('fedora32-hello-epoch-bdb.Packages')) },
      {
        ...ctx(),
        os: { family: 'fedora', id: 'fedora', name: '32', versionId: '32', source: '/etc/os-release' },
      },
    );
    const p = res.packages[0]!;
    expect({
      Name: p.name,
      Version: `${p.upstreamVersion}-${p.release}`,
      Epoch: p.epoch,
      SourceRPM: p.metadata?.sourceRpm,
      Architecture: p.arch,
      Licenses: p.licenses,
    }).toEqual(exp);
    expect(p.version).toBe('1:0.0.1-rls');
    expect(p.purl).toBe('pkg:rpm/fedora/hello@0.0.1-rls?arch=x86_64&distro=fedora-32&epoch=1');
    expect({ sourceName: p.sourceName, sourceVersion: p.sourceVersion }).toEqual({
      sourceName: 'hello',
      sourceVersion: '1:0.0.1-rls',
    });
  });

  it('sle15-bci-ndb: go-rpmdb ListPackages index-by-index (35 packages, same order)', () => {
    const exp = expected('sle15-bci-ndb.expected.json');
    const recs = records('sle15-bci-ndb.Packages.db');
    const keys = Object.keys(exp.packages[0]);
    expect(recs.map((r) => pick(summaryFields(r), keys))).toEqual(exp.packages);
  });

  it('sle15-bci-ndb: packages carry SUSE purls and no per-record errors', async () => {
    const res = await catalogRpmDb(
      {
        path: '/usr/lib/sysimage/rpm/Packages.db',
        bytes: readFileSync(fixture('sle15-bci-ndb.Packages.db')),
      },
      {
        ...ctx(),
        os: { family: 'suse', id: 'sles', name: '15.3', versionId: '15.3', source: '/etc/os-release' },
      },
    );
    expect(res.errors).toEqual([]);
    expect(res.packages).toHaveLength(35);
    expect(res.packages.find((p) => p.name === 'glibc')?.purl).toBe(
      'pkg:rpm/suse/glibc@2.31-9.3.2?arch=x86_64&distro=sles-15.3',
    );
  });

  it('cbl-mariner2-distroless manifest: syft parseRpmManifest packages, in order', async () => {
    const exp = expected('cbl-mariner2-distroless.expected.json');
    const res = await rpmManifestCataloger.catalog(
      {
        path: '/var/lib/rpmmanifest/container-manifest-2',
        bytes: readFileSync(fixture('cbl-mariner2-distroless.container-manifest-2')),
      },
      ctx(),
    );
    expect(res.errors).toEqual([]);
    expect(
      res.packages.map((p) => ({
        name: p.name,
        version: p.version,
        metadata: {
          name: p.name,
          epoch: p.epoch ?? null,
          arch: p.arch,
          release: p.release,
          version: p.upstreamVersion,
          sourceRpm: p.metadata?.sourceRpm,
          size: p.metadata?.size,
          vendor: p.vendor,
        },
      })),
    ).toEqual(exp.packages.map((p: Record<string, unknown>) => pick(p, ['name', 'version', 'metadata'])));
    expect(res.packages.map((p) => p.purl)).toEqual([
      'pkg:rpm/mariner/mariner-release@2.0-12.cm2?arch=noarch',
      'pkg:rpm/mariner/filesystem@1.1-9.cm2?arch=x86_64',
      'pkg:rpm/mariner/glibc@2.35-2.cm2?arch=x86_64',
      'pkg:rpm/mariner/openssl-libs@1.1.1k-15.cm2?arch=x86_64',
      'pkg:rpm/mariner/vim@9.0-1.cm2?arch=x86_64&epoch=2',
    ]);
  });
});

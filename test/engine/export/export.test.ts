import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cyclonedxJson } from '../../../engine/export/cyclonedx/index.js';
import { csvCell, findingsCsv } from '../../../engine/export/findings-json/index.js';
import { manifestKey, objectKey, safeSegment } from '../../../engine/export/layout.js';
import { exportRun } from '../../../engine/export/run.js';
import { ExportIncompleteError, S3Sink, type S3SinkOptions } from '../../../engine/export/s3/index.js';
import type { ResourceResult } from '../../../engine/export/sbom-input.js';
import { type ExportSink, LocalFolderSink, type PutResult } from '../../../engine/export/sink.js';
import { spdxJson } from '../../../engine/export/spdx/index.js';
import { buildFindings, type FindingsLookup } from '../../../engine/findings/build.js';
import type { Advisory } from '../../../engine/model/advisory.js';
import type { Match } from '../../../engine/model/match.js';
import type { Package } from '../../../engine/model/package.js';
import { s3For } from '../../emulator/clients.js';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { cdxValidator } from '../../helpers/cdx-schema.js';
import { REPO_ROOT } from '../../helpers/paths.js';
import { newAjv } from '../findings/ajv.js';

const NOW = new Date('2025-03-01T12:34:56.789Z');
const TOOL = { name: 'snapscan', version: '0.1.0' };

const pkgs: Package[] = [
  {
    foundBy: 'pkgdb/dpkg',
    type: 'deb',
    name: 'libc6',
    version: '2.36-9+deb12u1',
    upstreamVersion: '2.36',
    release: '9+deb12u1',
    arch: 'amd64',
    sourceName: 'glibc',
    purl: 'pkg:deb/debian/libc6@2.36-9%2Bdeb12u1?arch=amd64&distro=debian-12',
    locations: [{ path: '/var/lib/dpkg/status' }],
  },
  {
    foundBy: 'lang/npm',
    type: 'npm',
    name: '=cmd|calc',
    version: '1.0.0',
    purl: 'pkg:npm/%3Dcmd%7Ccalc@1.0.0',
    locations: [{ path: '/app/node_modules/=cmd|calc/package.json' }],
  },
  {
    foundBy: 'lang/npm',
    type: 'npm',
    name: 'lodash',
    version: '4.17.20',
    purl: 'pkg:npm/lodash@4.17.20',
    locations: [{ path: '/app/node_modules/lodash/package.json' }],
  },
  {
    foundBy: 'pkgdb/dpkg',
    type: 'deb',
    name: 'bash',
    version: '5.2.15-2+b2',
    purl: 'pkg:deb/debian/bash@5.2.15-2%2Bb2?arch=amd64&distro=debian-12',
    locations: [{ path: '/var/lib/dpkg/status' }],
  },
];

const adv = (
  id: string,
  cve: string,
  severity: Advisory['severity'],
  extra: Partial<Advisory> = {},
): Advisory => ({
  id,
  source: id.startsWith('GHSA') ? 'osv' : 'debian-tracker',
  aliases: [cve],
  severity,
  references: [`https://example.test/${id}`],
  details: `details of ${id}, with "quotes", commas\nand a newline`,
  ...extra,
});

function m(p: Package, a: Advisory, fixed: string | undefined, status: Match['status'] = 'affected'): Match {
  return {
    package: p,
    vulnerabilityId: a.aliases[0]!,
    advisoryIds: [a.id],
    advisories: [a],
    affected: [{ advisoryId: a.id, ecosystem: 'x', name: p.name, ranges: [], versions: [] }],
    ecosystem: 'x',
    status,
    ...(fixed ? { fixedVersion: fixed } : {}),
    reason: 'test',
  };
}

const lookup: FindingsLookup = {
  cvssFor: (cve) =>
    cve === 'CVE-2023-4911'
      ? [{ version: '3.1', vector: 'CVSS:3.1/AV:L/AC:L/PR:L/UI:N/S:U/C:H/I:H/A:H', source: 'nvd' }]
      : [],
  kev: (cve) => (cve === 'CVE-2023-4911' ? { dateAdded: '2023-11-21' } : undefined),
  epss: (cve) => (cve === 'CVE-2021-23337' ? { score: 0.0123, percentile: 0.5 } : undefined),
};

function resourceResult(account = '123456789012', id = 'i-0123456789abcdef0'): ResourceResult {
  const resource = { type: 'AWS_EC2_INSTANCE', id, region: 'eu-west-1', partition: 'aws' };
  const matches = [
    m(pkgs[0]!, adv('DEBIAN-CVE-2023-4911', 'CVE-2023-4911', []), '2.36-9+deb12u3'),
    m(
      pkgs[1]!,
      adv('GHSA-aaaa-bbbb-cccc', 'CVE-2024-0002', [
        { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H' },
      ]),
      undefined,
    ),
    m(
      pkgs[2]!,
      adv('GHSA-35jh-r3h4-6jhm', 'CVE-2021-23337', [
        { type: 'CVSS_V3', score: 'CVSS:3.1/AV:N/AC:L/PR:H/UI:N/S:U/C:H/I:H/A:H' },
      ]),
      '4.17.21',
    ),
    m(
      pkgs[3]!,
      adv('DEBIAN-CVE-2022-3715', 'CVE-2022-3715', [], { vendorSeverity: 'unimportant' }),
      undefined,
      'unknown',
    ),
  ];
  const findings = buildFindings(matches, { awsAccountId: account, resource, lookup, clock: () => NOW });
  return {
    awsAccountId: account,
    resource,
    os: {
      family: 'debian',
      id: 'debian',
      name: '12.5',
      versionId: '12',
      prettyName: 'Debian GNU/Linux 12 (bookworm)',
      source: '/etc/os-release',
    },
    packages: pkgs,
    findings,
  };
}

const loadJson = (p: string) => JSON.parse(readFileSync(p, 'utf8'));

const findingSchema = newAjv().compile(loadJson(resolve(REPO_ROOT, 'schemas/finding.schema.json')));
const manifestSchema = newAjv().compile(loadJson(resolve(REPO_ROOT, 'schemas/manifest.schema.json')));
const spdxSchema = newAjv({ strictRequired: false }).compile(
  loadJson(resolve(REPO_ROOT, 'test/engine/export/spdx-2.3.essential.schema.json')),
);

/** RFC 4180 reader, for checking our CSV independently of the writer. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = '';
  let q = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (q) {
      if (c === '"' && text[i + 1] === '"') {
        cell += '"';
        i++;
      } else if (c === '"') q = false;
      else cell += c;
    } else if (c === '"') q = true;
    else if (c === ',') {
      row.push(cell);
      cell = '';
    } else if (c === '\r' && text[i + 1] === '\n') {
      row.push(cell);
      rows.push(row);
      row = [];
      cell = '';
      i++;
    } else cell += c;
  }
  return rows;
}

class RecordingSink implements ExportSink {
  readonly location = 'memory';
  readonly keys: string[] = [];
  readonly inner: LocalFolderSink;
  constructor(root: string) {
    this.inner = new LocalFolderSink(root);
  }
  put(key: string, body: Buffer, contentType: string): Promise<PutResult> {
    this.keys.push(key);
    return this.inner.put(key, body, contentType);
  }
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'export-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('engine/export/layout', () => {
  const run = { runId: 'run-20250301T1234Z', startedAt: NOW };
  it.each([
    {
      kind: 'findings-ndjson',
      key: 'findings/dt=2025-03-01/run=run-20250301T1234Z/123456789012/i-0abc.ndjson',
    },
    { kind: 'findings-csv', key: 'findings/dt=2025-03-01/run=run-20250301T1234Z/123456789012/i-0abc.csv' },
    { kind: 'sbom-cyclonedx', key: 'sbom/dt=2025-03-01/run=run-20250301T1234Z/123456789012/i-0abc.cdx.json' },
    { kind: 'sbom-spdx', key: 'sbom/dt=2025-03-01/run=run-20250301T1234Z/123456789012/i-0abc.spdx.json' },
  ] as const)('$kind → $key', ({ kind, key }) => {
    expect(objectKey(run, kind, '123456789012', 'i-0abc')).toBe(key);
    expect(objectKey({ ...run, prefix: '/p/q/' }, kind, '123456789012', 'i-0abc')).toBe(`p/q/${key}`);
  });

  it('manifest key and run-id validation', () => {
    expect(manifestKey(run)).toBe('findings/dt=2025-03-01/run=run-20250301T1234Z/manifest.json');
    expect(() => manifestKey({ runId: '../x', startedAt: NOW })).toThrow(/run id/);
  });

  it.each([
    { raw: 'i-0abc', safe: 'i-0abc' },
    { raw: '/images/debian 12.img', safe: /^_images_debian_12\.img-[0-9a-f]{8}$/ },
    { raw: '..', safe: /^_-[0-9a-f]{8}$/ },
    { raw: '', safe: /^resource-[0-9a-f]{8}$/ },
  ])('safeSegment($raw)', ({ raw, safe }) => {
    const s = safeSegment(raw);
    if (typeof safe === 'string') expect(s).toBe(safe);
    else expect(s).toMatch(safe);
    expect(s).toMatch(/^[A-Za-z0-9._-]+$/);
  });

  it('cleaned segments of different ids never collide', () => {
    expect(safeSegment('a/b')).not.toBe(safeSegment('a_b'));
    expect(safeSegment('a b')).not.toBe(safeSegment('a/b'));
  });

  it('local sink refuses keys that leave its root', async () => {
    await expect(
      new LocalFolderSink(join(tmp, 'root')).put('../escape', Buffer.from('x'), 'text/plain'),
    ).rejects.toThrow(/leaves/);
  });
});

describe('engine/export/run (local folder sink)', () => {
  it('writes every object at its layout key, the manifest last, with correct counts and digests', async () => {
    const out = join(tmp, 'out');
    const sink = new RecordingSink(out);
    const results = [
      resourceResult('123456789012', 'i-0123456789abcdef0'),
      resourceResult('210987654321', '/img/local disk.raw'),
    ];
    const manifest = await exportRun(sink, results, {
      runId: 'r1',
      startedAt: NOW,
      tool: TOOL,
      clock: () => NOW,
    });
    expect(sink.keys.at(-1)).toBe('findings/dt=2025-03-01/run=r1/manifest.json');
    expect(sink.keys).toHaveLength(2 * 4 + 1);
    expect(manifestSchema(manifest)).toBe(true);
    expect(manifest.totals).toEqual({ resources: 2, findings: 8, packages: 8, objects: 8 });
    const onDisk = loadJson(join(out, 'findings/dt=2025-03-01/run=r1/manifest.json'));
    expect(onDisk).toEqual(manifest);
    for (const o of manifest.objects) {
      const body = readFileSync(join(out, o.key));
      expect(createHash('sha256').update(body).digest('hex')).toBe(o.sha256);
      expect(body.length).toBe(o.bytes);
      if (o.kind === 'findings-ndjson') {
        const lines = body.toString('utf8').split('\n').filter(Boolean);
        expect(lines).toHaveLength(o.count);
        for (const l of lines) {
          const ok = findingSchema(JSON.parse(l));
          expect(findingSchema.errors ?? []).toEqual([]);
          expect(ok).toBe(true);
        }
      }
      if (o.kind === 'findings-csv') expect(parseCsv(body.toString('utf8'))).toHaveLength(o.count + 1);
      if (o.kind === 'sbom-cyclonedx') expect(loadJson(join(out, o.key)).components).toHaveLength(o.count);
      if (o.kind === 'sbom-spdx') expect(loadJson(join(out, o.key)).packages).toHaveLength(o.count + 1);
    }
    expect(existsSync(join(out, 'sbom/dt=2025-03-01/run=r1/123456789012/i-0123456789abcdef0.cdx.json'))).toBe(
      true,
    );
  });

  it('is deterministic: the same input exports byte-identical objects', async () => {
    const a = await exportRun(new LocalFolderSink(join(tmp, 'd1')), [resourceResult()], {
      runId: 'r',
      startedAt: NOW,
      tool: TOOL,
      clock: () => NOW,
    });
    const b = await exportRun(new LocalFolderSink(join(tmp, 'd2')), [resourceResult()], {
      runId: 'r',
      startedAt: NOW,
      tool: TOOL,
      clock: () => NOW,
    });
    expect(b.objects.map((o) => o.sha256)).toEqual(a.objects.map((o) => o.sha256));
  });

  it('a failing sink writes no manifest', async () => {
    const keys: string[] = [];
    const failing: ExportSink = {
      location: 'x',
      put: async (key) => {
        keys.push(key);
        if (key.endsWith('.cdx.json')) throw new Error('disk full');
        return { key, bytes: 0, sha256: '0'.repeat(64) };
      },
    };
    await expect(
      exportRun(failing, [resourceResult()], { runId: 'r', startedAt: NOW, tool: TOOL }),
    ).rejects.toThrow('disk full');
    expect(keys.some((k) => k.endsWith('manifest.json'))).toBe(false);
  });
});

describe('engine/export/findings-json', () => {
  it.each([
    { v: '=cmd|calc', out: "'=cmd|calc" },
    { v: '+1', out: "'+1" },
    { v: '-x', out: "'-x" },
    { v: '@SUM(1)', out: "'@SUM(1)" },
    { v: 'a,b', out: '"a,b"' },
    { v: 'say "hi"', out: '"say ""hi"""' },
    { v: 'plain', out: 'plain' },
    { v: 7.5, out: '7.5' },
    { v: undefined, out: '' },
  ])('csvCell($v) → $out', ({ v, out }) => {
    expect(csvCell(v)).toBe(out);
  });

  it('CSV round-trips through an RFC 4180 reader, one row per finding', () => {
    const r = resourceResult();
    const rows = parseCsv(findingsCsv(r.findings).toString('utf8'));
    const header = rows[0]!;
    expect(rows).toHaveLength(r.findings.length + 1);
    const col = (name: string) => header.indexOf(name);
    const names = rows.slice(1).map((row) => row[col('packageName')]);
    expect(names).toContain("'=cmd|calc");
    expect(rows.slice(1).map((row) => row[col('findingArn')])).toEqual(r.findings.map((f) => f.findingArn));
  });
});

describe('engine/export/cyclonedx', () => {
  const validate = cdxValidator();
  it('validates against the official CycloneDX 1.5 JSON schema and carries the vulnerabilities', () => {
    const r = resourceResult();
    const doc = JSON.parse(cyclonedxJson(r, { runId: 'r', createdAt: NOW, tool: TOOL }));
    const ok = validate(doc);
    expect(validate.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(doc.specVersion).toBe('1.5');
    expect(doc.serialNumber).toMatch(/^urn:uuid:[0-9a-f-]{36}$/);
    expect(doc.components).toHaveLength(pkgs.length);
    expect(doc.vulnerabilities.map((v: { id: string }) => v.id).sort()).toEqual([
      'CVE-2021-23337',
      'CVE-2022-3715',
      'CVE-2023-4911',
      'CVE-2024-0002',
    ]);
    const glibc = doc.vulnerabilities.find((v: { id: string }) => v.id === 'CVE-2023-4911');
    expect(glibc.ratings).toContainEqual(
      expect.objectContaining({ method: 'CVSSv31', score: 7.8, severity: 'high', source: { name: 'nvd' } }),
    );
    expect(glibc.affects[0].ref).toBe(pkgs[0]!.purl);
    const unimportant = doc.vulnerabilities.find((v: { id: string }) => v.id === 'CVE-2022-3715');
    expect(unimportant.ratings[0]).toMatchObject({ method: 'other', score: 1, severity: 'low' });
    expect(unimportant.affects[0].versions[0].status).toBe('unknown');
  });

  it('a language package an OS package installed names its owner (snapscan:ownedBy), schema-valid', () => {
    const r = resourceResult();
    const owner = pkgs[0]!;
    // Debian's node-lodash beside the app's own copy: the same purl, two components.
    r.packages = [
      ...pkgs,
      { ...pkgs[2]!, locations: [{ path: '/usr/share/nodejs/lodash/package.json' }], ownedBy: owner.purl },
    ];
    const doc = JSON.parse(cyclonedxJson(r, { runId: 'r', createdAt: NOW, tool: TOOL }));
    expect(validate(doc)).toBe(true);
    type C = { 'bom-ref': string; properties?: Array<{ name: string; value: string }> };
    const owned = (doc.components as C[]).filter((c) =>
      c.properties?.some((p) => p.name === 'snapscan:ownedBy'),
    );
    expect(owned).toHaveLength(1);
    expect(owned[0]!.properties).toContainEqual({ name: 'snapscan:ownedBy', value: owner.purl });
    // The value is the owner component's bom-ref: a consumer can follow it.
    expect((doc.components as C[]).some((c) => c['bom-ref'] === owner.purl)).toBe(true);
  });

  it('the schema check is real: a broken document fails it', () => {
    const doc = JSON.parse(cyclonedxJson(resourceResult(), { runId: 'r', createdAt: NOW, tool: TOOL }));
    doc.vulnerabilities[0].ratings[0].severity = 'severe';
    expect(validate(doc)).toBe(false);
  });
});

describe('engine/export/spdx', () => {
  it('validates against the SPDX 2.3 essentials schema; every package has its purl', () => {
    const r = resourceResult();
    const doc = JSON.parse(spdxJson(r, { runId: 'r', createdAt: NOW, tool: TOOL }));
    const ok = spdxSchema(doc);
    expect(spdxSchema.errors ?? []).toEqual([]);
    expect(ok).toBe(true);
    expect(doc.creationInfo.created).toBe('2025-03-01T12:34:56Z');
    const ids = new Set(doc.packages.map((p: { SPDXID: string }) => p.SPDXID));
    expect(ids.size).toBe(doc.packages.length);
    for (const rel of doc.relationships) {
      expect(ids.has(rel.relatedSpdxElement)).toBe(true);
    }
    const purls = doc.packages.flatMap(
      (p: { externalRefs?: Array<{ referenceType: string; referenceLocator: string }> }) =>
        (p.externalRefs ?? []).filter((e) => e.referenceType === 'purl').map((e) => e.referenceLocator),
    );
    expect(purls.sort()).toEqual(pkgs.map((p) => p.purl).sort());
  });

  it('the schema check is real: a package without downloadLocation fails it', () => {
    const doc = JSON.parse(spdxJson(resourceResult(), { runId: 'r', createdAt: NOW, tool: TOOL }));
    delete doc.packages[1].downloadLocation;
    expect(spdxSchema(doc)).toBe(false);
  });
});

describe('engine/export/s3', () => {
  // Through the emulator's S3 with the real S3 client: keys, bodies, SSE headers, checksums, the
  // manifest read back with GetObject; retries and an incomplete run on PutObject failures.
  let emu: Emulator;
  let s3: S3Client;
  const delays: number[] = [];
  const sinkFor = (o: Partial<S3SinkOptions> = {}) =>
    new S3Sink({
      client: s3,
      bucket: 'findings-bucket',
      prefix: 'snapscan',
      random: () => 0.5,
      sleep: async (ms) => {
        delays.push(ms);
      },
      ...o,
    });
  const run = { runId: 'run-1', startedAt: NOW, tool: TOOL, prefix: 'snapscan' };

  beforeAll(async () => {
    emu = await startEmulator({ seed: 9 });
    s3 = s3For(emu.endpoint, 1);
    await s3.send(new CreateBucketCommand({ Bucket: 'findings-bucket' }));
  });
  afterAll(async () => {
    s3?.destroy();
    await emu?.close();
  });

  it.each([
    { kms: 'arn:aws:kms:us-east-1:123456789012:key/abcd', sse: 'aws:kms' },
    { kms: undefined, sse: 'AES256' },
  ])(
    'exportRun to S3 with SSE $sse: every object stored with its SHA-256 checksum; the manifest last, read back and verified',
    async ({ kms, sse }) => {
      const runId = `run-${sse.replace(/\W/g, '')}`;
      const results = [resourceResult(), resourceResult('210987654321', 'i-0fedcba9876543210')];
      const manifest = await exportRun(sinkFor(kms ? { kmsKeyId: kms } : {}), results, { ...run, runId });
      const puts = emu.services.s3.puts.filter((p) => p.key.includes(`run=${runId}/`));
      expect(puts.at(-1)?.key).toBe(manifestKey({ ...run, runId }));
      expect(puts.every((p) => p.status === 200)).toBe(true);
      const got = await s3.send(
        new GetObjectCommand({
          Bucket: 'findings-bucket',
          Key: manifestKey({ ...run, runId }),
          ChecksumMode: 'ENABLED',
        }),
      );
      const read = JSON.parse(await got.Body!.transformToString());
      expect(read).toEqual(JSON.parse(JSON.stringify(manifest)));
      expect(got.ServerSideEncryption).toBe(sse);
      expect(read.objects).toHaveLength(2 * 4);
      for (const o of read.objects as { key: string; sha256: string; bytes: number; contentType: string }[]) {
        expect(o.key.startsWith('snapscan/')).toBe(true);
        const obj = await s3.send(
          new GetObjectCommand({ Bucket: 'findings-bucket', Key: o.key, ChecksumMode: 'ENABLED' }),
        );
        const body = Buffer.from(await obj.Body!.transformToByteArray());
        expect(createHash('sha256').update(body).digest('hex')).toBe(o.sha256);
        expect(body.length).toBe(o.bytes);
        expect(obj.ChecksumSHA256).toBe(Buffer.from(o.sha256, 'hex').toString('base64'));
        expect(obj.ContentType).toBe(o.contentType);
        expect(obj.ServerSideEncryption).toBe(sse);
        expect(obj.SSEKMSKeyId).toBe(kms);
        const stored = emu.services.s3.object('findings-bucket', o.key)!;
        expect(stored.requestHeaders['x-amz-server-side-encryption']).toBe(sse);
        expect(stored.bucketKeyEnabled).toBe(kms ? true : undefined);
      }
      const ndjson = read.objects.find((o: { kind: string }) => o.kind === 'findings-ndjson');
      const lines = (
        await (
          await s3.send(new GetObjectCommand({ Bucket: 'findings-bucket', Key: ndjson.key }))
        ).Body!.transformToString()
      )
        .trim()
        .split('\n');
      expect(lines).toHaveLength(ndjson.count);
    },
  );

  it('throttling, 5xx, resets and a failing key are retried with jittered backoff: the run completes', async () => {
    delays.length = 0;
    emu.configure({
      faults: { throttleRate: 0.2, serverErrorRate: 0.1, resetRate: 0.05, actions: ['PutObject'] },
    });
    emu.services.s3.failPuts(/\.cdx\.json$/, { times: 2 });
    const sink = sinkFor({ maxAttempts: 8 });
    const manifest = await exportRun(sink, [resourceResult()], { ...run, runId: 'run-retried' });
    emu.configure({ faults: {} });
    emu.services.s3.clearFailures();
    expect(sink.stats.retries).toBeGreaterThanOrEqual(2);
    expect(sink.stats.attempts).toBe(sink.stats.objects + sink.stats.retries);
    expect(sink.stats.objects).toBe(manifest.objects.length + 1);
    expect(delays).toHaveLength(sink.stats.retries);
    // Full jitter with random() = 0.5: half of min(cap, base × 2^attempt).
    expect(delays.every((d) => d <= 10_000)).toBe(true);
    expect(
      emu.services.s3.object('findings-bucket', manifestKey({ ...run, runId: 'run-retried' })),
    ).toBeDefined();
  });

  it('a PutObject that keeps failing: ExportIncompleteError names the key, no manifest is written', async () => {
    emu.services.s3.failPuts(/\.spdx\.json$/);
    const err = await exportRun(sinkFor({ maxAttempts: 3 }), [resourceResult()], {
      ...run,
      runId: 'run-broken',
    }).catch((e) => e);
    emu.services.s3.clearFailures();
    expect(err).toBeInstanceOf(ExportIncompleteError);
    expect(err.code).toBe('export-incomplete');
    expect(err.key).toMatch(/\.spdx\.json$/);
    expect(err.attempts).toBe(3);
    expect(
      emu.services.s3.object('findings-bucket', manifestKey({ ...run, runId: 'run-broken' })),
    ).toBeUndefined();
    expect(
      emu.services.s3
        .objects('findings-bucket', 'snapscan/findings/')
        .some((o) => o.key.includes('run=run-broken/manifest')),
    ).toBe(false);
  });

  it('a missing bucket is not retried', async () => {
    const err = await sinkFor({ bucket: 'no-such-bucket' })
      .put('k', Buffer.from('x'), 'text/plain')
      .catch((e) => e);
    expect(err.code).toBe('export-incomplete');
    expect(err.attempts).toBe(1);
    expect(err.cause.name).toBe('NoSuchBucket');
  });

  it('rejects an invalid bucket name', () => {
    expect(
      () => new S3Sink({ client: { send: async () => undefined } as never, bucket: 'Bad_Bucket' }),
    ).toThrow(/bucket/);
  });
});

import { join } from 'node:path';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { latestCompleteRun, main, runFindings } from '../../../docs/examples/latest-findings.js';
import { exportRun } from '../../../engine/export/run.js';
import { S3Sink } from '../../../engine/export/s3/index.js';
import type { ResourceResult } from '../../../engine/export/sbom-input.js';
import { buildFindings } from '../../../engine/findings/build.js';
import type { Advisory } from '../../../engine/model/advisory.js';
import type { Match } from '../../../engine/model/match.js';
import type { Package } from '../../../engine/model/package.js';
import { s3For } from '../../emulator/clients.js';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { runNode } from '../../emulator/run-cli.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const TOOL = { name: 'snapscan', version: '0.1.0' };

function pkg(name: string, version: string): Package {
  return {
    foundBy: 'pkgdb/dpkg',
    type: 'deb',
    name,
    version,
    arch: 'amd64',
    purl: `pkg:deb/debian/${name}@${version}?arch=amd64&distro=debian-12`,
    locations: [{ path: '/var/lib/dpkg/status' }],
  };
}

/** One resource whose packages each match one advisory (severity from a CVSS vector). */
function resource(id: string, at: Date, pkgs: [string, string, string, string][]): ResourceResult {
  const res = { type: 'AWS_EC2_INSTANCE', id, region: 'us-east-1', partition: 'aws' };
  const packages = pkgs.map(([n, v]) => pkg(n, v));
  const matches: Match[] = pkgs.map(([, , cve, vector], i) => {
    const a: Advisory = {
      id: `DEBIAN-${cve}`,
      source: 'debian-tracker',
      aliases: [cve],
      severity: [{ type: 'CVSS_V3', score: vector }],
      references: [],
    };
    return {
      package: packages[i]!,
      vulnerabilityId: cve,
      advisoryIds: [a.id],
      advisories: [a],
      affected: [
        { advisoryId: a.id, ecosystem: 'Debian:12', name: packages[i]!.name, ranges: [], versions: [] },
      ],
      ecosystem: 'Debian:12',
      status: 'affected',
      fixedVersion: `${packages[i]!.version}+fix1`,
      reason: 'version below the fixed version',
    };
  });
  const lookup = { cvssFor: () => [], kev: () => undefined, epss: () => undefined };
  return {
    awsAccountId: '123456789012',
    resource: res,
    packages,
    findings: buildFindings(matches, {
      awsAccountId: '123456789012',
      resource: res,
      lookup,
      clock: () => at,
    }),
  };
}

const CRIT = 'CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H';
const LOW = 'CVSS:3.1/AV:L/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N';

describe('docs/examples/latest-findings', () => {
  let emu: Emulator;
  let s3: S3Client;
  const day1 = new Date('2026-12-04T01:00:00Z');
  const day2 = new Date('2026-12-05T01:00:00Z');

  beforeAll(async () => {
    emu = await startEmulator();
    s3 = s3For(emu.endpoint, 1);
    await s3.send(new CreateBucketCommand({ Bucket: 'exports' }));
    const sink = new S3Sink({
      client: s3,
      bucket: 'exports',
      prefix: 'scans',
      maxAttempts: 2,
      sleep: async () => {},
    });
    const at = (d: Date, min: number) => () => new Date(d.getTime() + min * 60_000);
    // Day 1: run-a, then run-b (completed later: the latest complete run).
    await exportRun(sink, [resource('i-a', day1, [['openssl', '3.0.11-1', 'CVE-2024-0001', CRIT]])], {
      runId: 'run-a',
      startedAt: day1,
      prefix: 'scans',
      tool: TOOL,
      clock: at(day1, 10),
    });
    await exportRun(
      sink,
      [
        resource('i-b1', day1, [
          ['openssl', '3.0.11-1', 'CVE-2024-0001', CRIT],
          ['zlib1g', '1:1.2.13.dfsg-1', 'CVE-2024-0003', LOW],
        ]),
        resource('i-b2', day1, [['bash', '5.2.15-2+b2', 'CVE-2024-0002', CRIT]]),
      ],
      {
        runId: 'run-b',
        startedAt: new Date(day1.getTime() + 3600_000),
        prefix: 'scans',
        tool: TOOL,
        clock: at(day1, 70),
      },
    );
    // Day 2: run-c dies before its manifest (every manifest PUT fails): incomplete, invisible.
    emu.services.s3.failPuts(/manifest\.json$/);
    await expect(
      exportRun(sink, [resource('i-c', day2, [['curl', '7.88.1-10', 'CVE-2024-0009', CRIT]])], {
        runId: 'run-c',
        startedAt: day2,
        prefix: 'scans',
        tool: TOOL,
      }),
    ).rejects.toMatchObject({ code: 'export-incomplete' });
    emu.services.s3.clearFailures();
  });
  afterAll(async () => {
    s3?.destroy();
    await emu?.close();
  });

  it('the latest complete run is the newest manifest: run-b of day 1 (day 2 has objects but no manifest)', async () => {
    expect(emu.services.s3.objects('exports', 'scans/findings/dt=2026-12-05/').length).toBeGreaterThan(0);
    const run = await latestCompleteRun(s3, 'exports', 'scans');
    expect(run?.manifest.runId).toBe('run-b');
    expect(run?.manifestKey).toBe('scans/findings/dt=2026-12-04/run=run-b/manifest.json');
    const findings = [];
    for await (const f of runFindings(s3, 'exports', run!)) findings.push(f);
    expect(
      findings
        .map((f) => `${f.resources[0]!.id} ${f.packageVulnerabilityDetails.vulnerabilityId} ${f.severity}`)
        .sort(),
    ).toEqual(['i-b1 CVE-2024-0001 CRITICAL', 'i-b1 CVE-2024-0003 LOW', 'i-b2 CVE-2024-0002 CRITICAL']);
  });

  it('an object whose bytes differ from the manifest is refused', async () => {
    const run = (await latestCompleteRun(s3, 'exports', 'scans'))!;
    const key = run.manifest.objects.find((o) => o.kind === 'findings-ndjson')!.key;
    const original = emu.services.s3.object('exports', key)!.body;
    emu.services.s3.putObject('exports', key, Buffer.concat([original, Buffer.from('{}\n')]));
    const read = async () => {
      for await (const _ of runFindings(s3, 'exports', run));
    };
    await expect(read()).rejects.toThrow(/SHA-256/);
    emu.services.s3.putObject('exports', key, original, 'application/x-ndjson');
  });

  it.each([
    { fault: 'a flipped byte', faults: { corruptRate: 1 }, error: /SHA-256/ },
    { fault: 'a connection dropped mid-body', faults: { truncateRate: 1 }, error: /./ },
  ])(
    '$fault in a findings object on the wire is an error, never a silent short read',
    async ({ faults, error }) => {
      const run = (await latestCompleteRun(s3, 'exports', 'scans'))!;
      emu.configure({ faults: { ...faults, actions: ['GetObject'] } });
      const read = async () => {
        for await (const _ of runFindings(s3, 'exports', run));
      };
      await expect(read()).rejects.toThrow(error);
      emu.configure({ faults: {} });
    },
  );

  it('no manifest anywhere → undefined; main exits 1', async () => {
    expect(await latestCompleteRun(s3, 'exports', 'elsewhere')).toBeUndefined();
    expect(await main(['s3://exports/elsewhere'], s3)).toBe(1);
  });

  it('runs as a script with the real S3 client from the standard configuration (AWS_ENDPOINT_URL), severity filter', async () => {
    const script = join(REPO_ROOT, 'docs/examples/latest-findings.ts');
    const out = await runNode(['--import', 'tsx', script, 's3://exports/scans', '--severity', 'high'], {
      AWS_ENDPOINT_URL: emu.endpoint,
    });
    expect(out.stderr).not.toMatch(/latest-findings:/);
    expect(out.code).toBe(0);
    const lines = out.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^run run-b \(dt=2026-12-04, completed 2026-12-04T02:10:00.000Z\): 2 findings$/);
    expect(lines.slice(1).map((l) => l.split(/\s+/).slice(0, 3))).toEqual([
      ['CRITICAL', 'CVE-2024-0001', 'openssl'],
      ['CRITICAL', 'CVE-2024-0002', 'bash'],
    ]);
  });
});

/**
 * `snapscan scheduler` as operators run it: configured only by environment variables (SNAPSCAN_*,
 * AWS_ENDPOINT_URL), writing its export and its state to S3 through the real S3 client, stopped by
 * SIGTERM (clean exit 0, no snapshot left) or killed by SIGKILL mid-pass (the next pass completes,
 * the janitor removes the dead pass's snapshots, no finding is lost or duplicated).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../engine/findings/index.js';
import type { StateIndex } from '../../scheduler/pass.js';
import { type Emulator, startEmulator } from '../emulator/index.js';
import { EMULATOR_ENV, runCli } from '../emulator/run-cli.js';
import { HAVE_SHARED, NO_SHARED_REASON, REPO_ROOT } from '../helpers/paths.js';
import { demoImages, sharedVulnDb } from './helpers.js';

if (!HAVE_SHARED) console.warn(`scheduler cli: ${NO_SHARED_REASON}`);

const BUCKET = 'exports';

describe.skipIf(!HAVE_SHARED)(
  'engine/cli/commands/scheduler (bin/snapscan.js, env-configured, S3 output)',
  () => {
    let emu: Emulator;
    let env: Record<string, string>;
    const ids: string[] = [];

    beforeAll(async () => {
      const img = await demoImages();
      const db = await sharedVulnDb();
      emu = await startEmulator({ seed: 11 });
      emu.services.s3.createBucket(BUCKET);
      for (const p of [img.debian, img.alma, img.debian]) {
        const v = await emu.addVolume({ imagePath: p });
        ids.push(emu.addInstance({ volumes: [{ volumeId: v, device: '/dev/xvda' }] }));
      }
      env = {
        AWS_ENDPOINT_URL: emu.endpoint,
        SNAPSCAN_MODE: 'agentless',
        SNAPSCAN_REGIONS: 'us-east-1',
        SNAPSCAN_OUTPUT: `s3://${BUCKET}/snapscan`,
        SNAPSCAN_DB: db,
        SNAPSCAN_CONCURRENCY: '3',
        SNAPSCAN_SNAPSHOT_POLL: '10ms',
        SNAPSCAN_JITTER: '0',
      };
    }, 600_000);

    afterAll(async () => {
      await emu?.close();
    });

    const objects = (prefix: string) => emu.services.s3.objects(BUCKET, prefix);
    const json = <T>(key: string): T =>
      JSON.parse(emu.services.s3.object(BUCKET, key)!.body.toString('utf8')) as T;
    const managedLeft = () => emu.snapshots().filter((s) => s.tags['snapscan:managed'] === 'true');
    const latestManifestKey = () =>
      objects('snapscan/findings/')
        .map((o) => o.key)
        .filter((k) => k.endsWith('/manifest.json'))
        .sort((a, b) =>
          json<{ completedAt: string }>(a).completedAt < json<{ completedAt: string }>(b).completedAt
            ? -1
            : 1,
        )
        .at(-1)!;
    const exportedFindings = (manifestKey: string): Finding[] =>
      json<{ objects: { key: string; kind: string }[] }>(manifestKey)
        .objects.filter((o) => o.kind === 'findings-ndjson')
        .flatMap((o) =>
          emu.services.s3
            .object(BUCKET, o.key)!
            .body.toString('utf8')
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as Finding),
        );

    it('--help lists every environment variable', async () => {
      const r = await runCli(['scheduler', '--help']);
      expect(r.code).toBe(0);
      for (const v of [
        'SNAPSCAN_MODE',
        'SNAPSCAN_REGIONS',
        'SNAPSCAN_INTERVAL',
        'SNAPSCAN_CONCURRENCY',
        'SNAPSCAN_OUTPUT',
        'SNAPSCAN_KMS_KEY',
        'SNAPSCAN_DB',
        'SNAPSCAN_DB_UPDATE',
        'SNAPSCAN_SUPPRESSIONS',
        'SNAPSCAN_EVENTS_BUS',
        'SNAPSCAN_STATE',
        'SNAPSCAN_REUSE_SNAPSHOTS',
        'SNAPSCAN_MAX_INVENTORY_AGE',
      ])
        expect(r.stdout).toContain(v);
      const bad = await runCli(['scheduler', '--once'], { ...env, SNAPSCAN_MODE: 'sometimes' });
      expect(bad.code).toBe(2);
      expect(bad.stderr).toMatch(/--mode must be one of hybrid, agentless, ssm-only/);
    });

    it('--once from environment variables only, per-service endpoints: export and state in S3 (SSE, checksums), manifest last, 0 snapshots left', async () => {
      // AWS_ENDPOINT_URL_<SERVICE> alone (no AWS_ENDPOINT_URL): the SDK's own per-service configuration.
      const { AWS_ENDPOINT_URL: url, ...rest } = env;
      const perService = Object.fromEntries(
        ['EC2', 'EBS', 'SSM', 'S3', 'STS', 'EVENTBRIDGE'].map((s) => [`AWS_ENDPOINT_URL_${s}`, url!]),
      );
      const r = await runCli(['scheduler'], { ...rest, ...perService, SNAPSCAN_ONCE: 'true' }, 120_000);
      expect(r.stderr).toMatch(/pass .*: complete; 3 instances: 3 scanned/);
      expect(r.code).toBe(0);
      expect(managedLeft()).toEqual([]);
      const mkey = latestManifestKey();
      const manifest = json<{ objects: { key: string; kind: string; sha256: string }[] }>(mkey);
      expect(new Set(manifest.objects.map((o) => o.kind))).toEqual(
        new Set(['findings-ndjson', 'findings-csv', 'sbom-cyclonedx', 'sbom-spdx', 'coverage-ndjson']),
      );
      const manifestRec = emu.services.s3.object(BUCKET, mkey)!;
      for (const o of manifest.objects) {
        const rec = emu.services.s3.object(BUCKET, o.key)!;
        expect(rec.requestHeaders['x-amz-server-side-encryption']).toBe('AES256');
        expect(Buffer.from(rec.checksums.sha256!, 'base64').toString('hex')).toBe(o.sha256);
        // The manifest is the last object written.
        expect(rec.lastModified.getTime()).toBeLessThanOrEqual(manifestRec.lastModified.getTime());
      }
      const index = json<StateIndex>('snapscan/state/index.json');
      expect(Object.keys(index.instances).sort()).toEqual([...ids].sort());
    });

    it('scan --out-dir s3://… writes the export run through the S3 sink', async () => {
      const img = await demoImages();
      const r = await runCli(
        [
          'scan',
          '--image',
          img.debian,
          '--db',
          env.SNAPSCAN_DB!,
          '--format',
          'json',
          '--out-dir',
          `s3://${BUCKET}/adhoc`,
          '--quiet',
        ],
        { AWS_ENDPOINT_URL: emu.endpoint },
        120_000,
      );
      expect(r.stderr).toMatch(/wrote \d+ objects to s3:\/\/exports\/adhoc/);
      const keys = objects('adhoc/').map((o) => o.key);
      expect(keys.filter((k) => k.endsWith('/manifest.json'))).toHaveLength(1);
      expect(keys.some((k) => k.endsWith('.ndjson'))).toBe(true);
      expect(keys.some((k) => k.endsWith('.cdx.json'))).toBe(true);
    });

    function startScheduler(extra: Record<string, string>): {
      child: ChildProcess;
      done: Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string; ms: number }>;
    } {
      const child = spawn(
        process.execPath,
        [path.join(REPO_ROOT, 'bin/snapscan.js'), 'scheduler', '--once'],
        {
          env: { ...process.env, ...EMULATOR_ENV, ...env, ...extra },
          stdio: ['ignore', 'pipe', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr!.on('data', (d) => {
        stderr += d;
      });
      child.stdout!.resume();
      let signalledAt = 0;
      const origKill = child.kill.bind(child);
      child.kill = (s?: NodeJS.Signals | number) => {
        signalledAt = Date.now();
        return origKill(s);
      };
      const done = new Promise<{
        code: number | null;
        signal: NodeJS.Signals | null;
        stderr: string;
        ms: number;
      }>((resolve) => {
        child.on('close', (code, signal) => resolve({ code, signal, stderr, ms: Date.now() - signalledAt }));
      });
      return { child, done };
    }

    async function untilReading(): Promise<void> {
      for (let i = 0; i < 600; i++) {
        if ((emu.counts.GetSnapshotBlock ?? 0) > 0) return;
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error('the scheduler never started reading');
    }

    it('SIGTERM mid-scan: stops taking work, deletes its snapshots, saves state, exits 0 within 25 s', async () => {
      emu.configure({ faults: { latency: { kind: 'fixed', ms: 400 }, actions: ['GetSnapshotBlock'] } });
      emu.resetCounts();
      // A day later: every instance is due again.
      const { child, done } = startScheduler({
        SNAPSCAN_NOW: new Date(Date.now() + 25 * 3_600_000).toISOString(),
      });
      await untilReading();
      expect(emu.snapshots().filter((s) => s.tags['snapscan:managed'] === 'true').length).toBeGreaterThan(0);
      child.kill('SIGTERM');
      const r = await done;
      emu.configure({ faults: {} });
      expect(r.stderr).toMatch(/SIGTERM: stopping/);
      expect([r.code, r.signal]).toEqual([0, null]);
      expect(r.ms).toBeLessThan(25_000);
      expect(managedLeft()).toEqual([]);
      // The state it saved is complete JSON (the interrupted instances are simply due next time).
      expect(json<StateIndex>('snapscan/state/index.json').schemaVersion).toBe(1);
    });

    it('SIGKILL mid-pass: the next pass completes, the janitor deletes the leftovers, no finding lost or duplicated', async () => {
      const before = exportedFindings(latestManifestKey());
      const indexBefore = emu.services.s3.object(BUCKET, 'snapscan/state/index.json')!.body.toString('utf8');
      emu.configure({ faults: { latency: { kind: 'fixed', ms: 400 }, actions: ['GetSnapshotBlock'] } });
      emu.resetCounts();
      const later = new Date(Date.now() + 50 * 3_600_000).toISOString();
      const { child, done } = startScheduler({ SNAPSCAN_NOW: later });
      await untilReading();
      child.kill('SIGKILL');
      const r = await done;
      emu.configure({ faults: {} });
      expect(r.signal).toBe('SIGKILL');
      const left = managedLeft().map((s) => s.snapshotId);
      expect(left.length).toBeGreaterThan(0);
      // Nothing half-written: the index is the previous pass's, byte for byte.
      expect(emu.services.s3.object(BUCKET, 'snapscan/state/index.json')!.body.toString('utf8')).toBe(
        indexBefore,
      );

      const again = await runCli(['scheduler', '--once'], { ...env, SNAPSCAN_NOW: later }, 120_000);
      expect(again.code).toBe(0);
      expect(again.stderr).toMatch(/complete; 3 instances: 3 scanned/);
      expect(managedLeft()).toEqual([]);
      for (const id of left) expect(emu.snapshotsById.get(id)?.deleted).toBe(true);
      const after = exportedFindings(latestManifestKey());
      const arns = after.map((f) => f.findingArn);
      expect(new Set(arns).size).toBe(arns.length);
      expect(arns.sort()).toEqual(before.map((f) => f.findingArn).sort());
      const firstSeen = new Map(before.map((f) => [f.findingArn, f.firstObservedAt]));
      expect(
        after.every((f) => f.firstObservedAt === firstSeen.get(f.findingArn) && f.status === 'ACTIVE'),
      ).toBe(true);
    });
  },
);

/**
 * Shared set-up for the scheduler tests: the demo disks (a real Debian 12 dpkg database and an
 * AlmaLinux 9 rpm database), a vulnerability database imported from ../shared/vulndata, an emulator
 * the real SDK clients reach through AWS_ENDPOINT_URL, and a scheduler run with an injected clock.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { rawImagePath } from '../../engine/cli/image.js';
import { importPath, withWritableStore } from '../../engine/vulndb/index.js';
import type { PassReport } from '../../scheduler/pass.js';
import { runScheduler, type SchedulerRunOptions } from '../../scheduler/run.js';
import { EMULATOR_CREDENTIALS, type Emulator } from '../emulator/index.js';
import { REPO_ROOT, SHARED_VULNDATA } from '../helpers/paths.js';

export const DEMO_DEBIAN = join(REPO_ROOT, 'test/fixtures/demo/debian-12-cloud.img.gz');
export const DEMO_ALMA = join(REPO_ROOT, 'test/fixtures/demo/almalinux-9-cloud.img.gz');

export async function demoImages(): Promise<{ debian: string; alma: string }> {
  return { debian: await rawImagePath(DEMO_DEBIAN), alma: await rawImagePath(DEMO_ALMA) };
}

let dbPromise: Promise<string> | undefined;
/** A vulnerability database from ../shared/vulndata (built once per test file). */
export function sharedVulnDb(): Promise<string> {
  dbPromise ??= (async () => {
    const db = join(mkdtempSync(join(tmpdir(), 'snapscan-sched-db-')), 'vulndb.sqlite');
    await withWritableStore(db, (w) => importPath(w, SHARED_VULNDATA));
    return db;
  })();
  return dbPromise;
}

/** Points the SDK's standard configuration at the emulator (what an operator does with env vars). */
export function useEmulatorEnv(emu: Emulator): void {
  process.env.AWS_ENDPOINT_URL = emu.endpoint;
  process.env.AWS_ACCESS_KEY_ID = EMULATOR_CREDENTIALS.accessKeyId;
  process.env.AWS_SECRET_ACCESS_KEY = EMULATOR_CREDENTIALS.secretAccessKey;
  process.env.AWS_REGION = 'us-east-1';
  process.env.AWS_EC2_METADATA_DISABLED = 'true';
}

/** A clock the test moves: starts at `start`, advances only when told. */
export class TestClock {
  private t: number;
  constructor(start = Date.now()) {
    this.t = start;
  }
  now = (): Date => new Date(this.t);
  advance(ms: number): void {
    this.t += ms;
  }
}

export const HOUR = 3_600_000;

export function schedulerOptions(
  o: { db: string; out: string; clock: TestClock } & Partial<SchedulerRunOptions>,
): SchedulerRunOptions {
  const { clock, out, ...rest } = o;
  return {
    mode: 'hybrid',
    regions: ['us-east-1'],
    intervalMs: 24 * HOUR,
    concurrency: 2,
    suppressions: [],
    reuseSnapshotsMaxAgeMs: 24 * HOUR,
    maxInventoryAgeMs: 24 * HOUR,
    closedRetentionMs: 30 * 24 * HOUR,
    retryFailedMs: HOUR,
    snapshotTtlMs: 6 * HOUR,
    snapshotPollMs: 5,
    jitterMs: 0,
    once: true,
    output: out,
    state: join(out, 'state'),
    dbUpdate: 'never',
    passEveryMs: 1000,
    now: clock.now,
    log: () => {},
    ...rest,
  };
}

export async function onePass(opts: SchedulerRunOptions): Promise<PassReport> {
  const { passes, exitCode } = await runScheduler(opts);
  if (exitCode !== 0) throw new Error(`scheduler exit ${exitCode}: ${passes[0]?.error}`);
  return passes[0]!;
}

/**
 * Issue 9 ("Many accounts") benchmark: the scheduler over a fleet spread round robin over the
 * central account and two member accounts (test/emulator/fleet.ts `accounts`), plus a listed member
 * without the role; every EBS direct request answered after 20 ms; output and state in the
 * emulator's S3. Prints, per pass: wall time, instance scans per minute, STS AssumeRole calls, API
 * calls per account (each request counted under the account its SigV4 key acted as), snapscan
 * snapshots left per account (must be 0); and the same fleet scanned as one account, for the cost of
 * the sessions and the per-account janitor.
 *
 * usage: npx tsx bench/scheduler-accounts.ts [--per-role 1] [--concurrency 8] [--latency-ms 20] [--db vulndb.sqlite]
 * `--per-role N`: N instances of each fleet role (12 roles). Without --db the vulnerability data of
 * ../shared/vulndata is imported into a temp database.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { importPath, withWritableStore } from '../engine/vulndb/index.js';
import type { PassReport } from '../scheduler/pass.js';
import { runScheduler, type SchedulerRunOptions } from '../scheduler/run.js';
import { buildFleet, DEFAULT_FLEET_MIX, type FleetRole } from '../test/emulator/fleet.js';
import {
  DEFAULT_FAULT_ACTIONS,
  EMULATOR_CREDENTIALS,
  type Emulator,
  startEmulator,
} from '../test/emulator/index.js';
import { HAVE_SHARED, SHARED_VULNDATA } from '../test/helpers/paths.js';
import { benchSchedulerOptions } from './lib.js';

const CENTRAL = '123456789012';
const MEMBERS = ['111111111111', '222222222222'];
const NO_ROLE = '333333333333';
const ROLE = 'snapscan-member';
const EXTERNAL_ID = 'bench-external-id';
const args = process.argv.slice(2);
const opt = (name: string, dflt: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? String(args[i + 1]) : dflt;
};
const concurrency = Number(opt('concurrency', '8'));
const latencyMs = Number(opt('latency-ms', '20'));
const perRole = Number(opt('per-role', '1'));

async function buildFleetIn(emu: Emulator, accounts: string[] | undefined) {
  const mix = Object.fromEntries(Object.keys(DEFAULT_FLEET_MIX).map((r) => [r, perRole])) as Record<
    FleetRole,
    number
  >;
  const fleet = await buildFleet(emu, { now: new Date(), mix, ...(accounts ? { accounts } : {}) });
  for (const image of fleet.images.images) await emu.images.written(image.path);
  for (const m of MEMBERS) emu.services.sts.addRole(m, ROLE, { externalId: EXTERNAL_ID });
  emu.services.s3.createBucket('snapscan-bench');
  return fleet;
}

function report(label: string, r: PassReport, wallMs: number, emu: Emulator, fleetSize: number) {
  const c = r.counts;
  console.log(
    `${label}: ${r.ok ? 'complete' : `INCOMPLETE ${r.error}`} in ${(wallMs / 1000).toFixed(2)} s; ${c.instances} instances: ` +
      `${c.scanned} scanned (${c.agentless} snapshot, ${c.ssm} SSM), ${c.kept} kept, ${c.skipped} skipped, ${c.failed} failed; ` +
      `${((c.scanned / wallMs) * 60_000).toFixed(0)} scans/min; snapshots ${r.snapshots.created} created, ${r.snapshots.reused} reused`,
  );
  if (r.accounts)
    console.log(
      `  accounts: ${r.accounts.scanned.length} scanned, denied ${r.accounts.denied.map((d) => d.accountId).join(', ') || '-'}; ` +
        `AssumeRole ${emu.counts.AssumeRole ?? 0} calls`,
    );
  for (const [account, actions] of Object.entries(emu.countsByAccount).sort()) {
    const total = Object.values(actions).reduce((a, b) => a + b, 0);
    const left = emu.snapshots(account).filter((s) => s.tags['snapscan:managed'] === 'true').length;
    const key = [
      'DescribeInstances',
      'DescribeSnapshots',
      'CreateSnapshots',
      'DeleteSnapshot',
      'GetSnapshotBlock',
    ]
      .map((a) => `${a} ${actions[a] ?? 0}`)
      .join(', ');
    console.log(`  ${account}: ${total} calls (${key}); snapscan snapshots left ${left}`);
  }
  console.log(`  fleet ${fleetSize} instances`);
}

async function main() {
  let db = opt('db', '');
  const tmp = mkdtempSync(join(tmpdir(), 'snapscan-bench-accounts-'));
  if (!db) {
    if (!HAVE_SHARED) throw new Error('no --db and no ../shared/vulndata to import');
    db = join(tmp, 'vulndb.sqlite');
    await withWritableStore(db, (w) => importPath(w, SHARED_VULNDATA));
  }
  const clock = Date.now();
  const base = (emu: Emulator): SchedulerRunOptions => {
    Object.assign(process.env, {
      AWS_ENDPOINT_URL: emu.endpoint,
      AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
      AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
      AWS_REGION: 'us-east-1',
      AWS_EC2_METADATA_DISABLED: 'true',
    });
    return benchSchedulerOptions(db, '', {
      concurrency,
      output: 's3://snapscan-bench/export',
      state: 's3://snapscan-bench/state',
      now: () => new Date(clock),
    });
  };
  for (const multi of [false, true]) {
    const emu = await startEmulator({
      seed: 9,
      accountId: CENTRAL,
      faults: { latency: { kind: 'fixed', ms: latencyMs }, actions: DEFAULT_FAULT_ACTIONS },
    });
    try {
      const fleet = await buildFleetIn(emu, multi ? [CENTRAL, ...MEMBERS] : undefined);
      emu.resetCounts();
      const t = performance.now();
      const { passes } = await runScheduler({
        ...base(emu),
        ...(multi
          ? {
              members: { accounts: [CENTRAL, ...MEMBERS, NO_ROLE], roleName: ROLE, externalId: EXTERNAL_ID },
            }
          : {}),
      });
      report(
        multi ? `3 accounts (+1 without the role)` : 'one account',
        passes[0]!,
        performance.now() - t,
        emu,
        fleet.instances.length,
      );
    } finally {
      await emu.close();
    }
  }
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  rmSync(tmp, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exitCode = 1;
});

import type { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runJanitor } from '../../scheduler/janitor.js';
import { ec2For } from '../emulator/clients.js';
import { type Emulator, startEmulator } from '../emulator/index.js';
import { runCli } from '../emulator/run-cli.js';
import { buildTestImage } from '../emulator/test-image.js';

const NOW = new Date('2031-06-01T12:00:00.000Z');
const PAST = '2031-06-01T11:59:59.000Z';
const FUTURE = '2031-06-01T12:00:01.000Z';

describe('scheduler/janitor', () => {
  let emu: Emulator;
  let ec2: EC2Client;
  let volumeId: string;
  const ids: Record<string, string> = {};

  const cases: { name: string; tags: Record<string, string>; deleted: boolean }[] = [
    { name: 'expired', tags: { 'snapscan:managed': 'true', 'snapscan:expires-at': PAST }, deleted: true },
    {
      name: 'not yet expired',
      tags: { 'snapscan:managed': 'true', 'snapscan:expires-at': FUTURE },
      deleted: false,
    },
    { name: 'untagged', tags: {}, deleted: false },
    { name: 'expiry without managed', tags: { 'snapscan:expires-at': PAST }, deleted: false },
    {
      name: 'managed=false',
      tags: { 'snapscan:managed': 'false', 'snapscan:expires-at': PAST },
      deleted: false,
    },
    { name: 'managed without expiry', tags: { 'snapscan:managed': 'true' }, deleted: false },
    {
      name: 'unparsable expiry',
      tags: { 'snapscan:managed': 'true', 'snapscan:expires-at': 'yesterday' },
      deleted: false,
    },
    { name: 'other tags only', tags: { Name: 'backup', owner: 'ops' }, deleted: false },
  ];

  beforeAll(async () => {
    emu = await startEmulator();
    volumeId = await emu.addVolume({ imagePath: buildTestImage() });
    ec2 = ec2For(emu.endpoint);
  });
  beforeEach(() => {
    for (const s of emu.snapshots()) s.deleted = true;
    for (const c of cases) ids[c.name] = emu.addSnapshot(volumeId, { tags: c.tags });
    // Someone else's expired, tagged snapshot (shared with us): not ours to delete.
    ids.foreign = emu.addSnapshot(volumeId, {
      tags: { 'snapscan:managed': 'true', 'snapscan:expires-at': PAST },
      ownerId: '999999999999',
    });
  });
  afterAll(async () => {
    ec2?.destroy();
    await emu?.close();
  });

  it.each(cases)('$name: deleted=$deleted', async ({ name, deleted }) => {
    const report = await runJanitor(ec2, { now: NOW });
    const live = new Set(emu.snapshots().map((s) => s.snapshotId));
    expect(live.has(ids[name]!)).toBe(!deleted);
    expect(report.deleted).toEqual([ids.expired]);
    expect(live.has(ids.foreign!)).toBe(true);
  });

  it('dry run deletes nothing and names what it would delete', async () => {
    const before = emu.snapshots().length;
    emu.resetCounts();
    const report = await runJanitor(ec2, { now: NOW, dryRun: true });
    expect(report.wouldDelete).toEqual([ids.expired]);
    expect(report.deleted).toEqual([]);
    expect(emu.snapshots().length).toBe(before);
    expect(emu.counts.DeleteSnapshot ?? 0).toBe(0);
  });

  it('re-checks tags before deleting: an expiry extended after the listing is respected', async () => {
    let changed = false;
    // Between the listing and the per-snapshot re-read, an operator extends the expiry.
    const racing = new Proxy(ec2, {
      get(target, prop, recv) {
        if (prop !== 'send') return Reflect.get(target, prop, recv);
        return async (cmd: { input: { SnapshotIds?: string[] } }) => {
          if (!changed && cmd.input.SnapshotIds?.[0] === ids.expired) {
            emu.snapshotsById.get(ids.expired!)!.tags['snapscan:expires-at'] = '2099-01-01T00:00:00.000Z';
            changed = true;
          }
          return target.send(cmd as never);
        };
      },
    });
    const report = await runJanitor(racing, { now: NOW });
    expect(changed).toBe(true);
    expect(report.deleted).toEqual([]);
    expect(report.skipped.find((s) => s.snapshotId === ids.expired)?.reason).toMatch(/expires at 2099/);
    expect(emu.snapshotsById.get(ids.expired!)!.deleted).toBe(false);
  });

  it('CLI: `snapscan janitor --endpoint … --now …` deletes the expired one', async () => {
    const out = await runCli([
      'janitor',
      '--endpoint',
      emu.endpoint,
      '--region',
      'us-east-1',
      '--now',
      NOW.toISOString(),
    ]);
    expect(out.stderr).not.toMatch(/failed/);
    expect(out.code).toBe(0);
    expect(out.stdout).toContain(`deleted ${ids.expired}`);
    expect(out.stdout).toMatch(/1 deleted/);
    const live = new Set(emu.snapshots().map((s) => s.snapshotId));
    expect(live.has(ids.expired!)).toBe(false);
    expect(live.has(ids.untagged!)).toBe(true);
  });
});

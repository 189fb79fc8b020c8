/**
 * `snapscan scheduler --lang-skip`: the scheduler hands the skip list to every scan job (executeJob
 * → runScans → the worker threads), so an instance's stored inventory leaves out exactly the
 * language packages under the skipped directory. Real Debian language root (python3, nodejs/npm,
 * apps under /srv) served by the emulator as an instance's volume.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Inventory } from '../../engine/inventory/types.js';
import { langSkipList } from '../../readers/lang-skip.js';
import type { StateIndex } from '../../scheduler/pass.js';
import { type Emulator, startEmulator } from '../emulator/index.js';
import { langImages } from '../helpers/lang-images.js';
import { HAVE_SHARED, NO_SHARED_REASON } from '../helpers/paths.js';
import { onePass, schedulerOptions, sharedVulnDb, TestClock, useEmulatorEnv } from './helpers.js';

const images = langImages();
const skip = !HAVE_SHARED ? NO_SHARED_REASON : typeof images === 'string' ? images : undefined;
if (skip) console.warn(`scheduler lang-skip: skipped: ${skip}`);

describe.skipIf(skip !== undefined)('scheduler --lang-skip (emulator, Debian language root)', () => {
  let emu: Emulator;
  let db: string;

  beforeAll(async () => {
    db = await sharedVulnDb();
    emu = await startEmulator({ seed: 13 });
    useEmulatorEnv(emu);
    const v = await emu.addVolume({ imagePath: (images as Exclude<typeof images, string>).ext4 });
    emu.addInstance({ volumes: [{ volumeId: v, device: '/dev/xvda' }] });
  }, 600_000);

  afterAll(async () => {
    await emu?.close();
  });

  it('the stored inventory leaves out exactly the packages under the skipped directory', async () => {
    const inventoryOf = async (langSkip?: string[]) => {
      const out = mkdtempSync(join(tmpdir(), 'snapscan-langskip-'));
      const clock = new TestClock(Date.parse('2026-12-01T00:00:00Z'));
      const r = await onePass(
        schedulerOptions({ db, out, clock, mode: 'agentless', ...(langSkip ? { langSkip } : {}) }),
      );
      expect(r.counts.scanned).toBe(1);
      const index = JSON.parse(readFileSync(join(out, 'state', 'index.json'), 'utf8')) as StateIndex;
      const key = Object.values(index.instances)[0]!.inventoryKey!;
      return JSON.parse(readFileSync(join(out, 'state', key), 'utf8')) as Inventory;
    };
    const path = (p: Inventory['packages'][number]) => p.locations[0]?.path ?? '';
    const row = (p: Inventory['packages'][number]) => `${p.type} ${p.name}@${p.version} ${path(p)}`;
    const all = await inventoryOf();
    const skipped = await inventoryOf(langSkipList('/srv'));
    expect(all.packages.filter((p) => path(p).startsWith('/srv/')).length).toBeGreaterThan(0);
    expect(skipped.packages.map(row).sort()).toEqual(
      all.packages
        .filter((p) => !path(p).startsWith('/srv/'))
        .map(row)
        .sort(),
    );
  }, 600_000);
});

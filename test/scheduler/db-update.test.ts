/**
 * `snapscan scheduler --db-update startup --feeds-mirror URL`: the scheduler refreshes the
 * vulnerability data from the public feeds' paths on a mirror (a local HTTP server serving OSV's
 * AlmaLinux all.zip built from the real records of ../shared/vulndata; every other feed answers 404
 * and is reported, not fatal) before its first pass, records when in the state index, and — when the refreshed data
 * differs — re-matches the stored inventories without a snapshot: an advisory withdrawn upstream
 * closes its findings.
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Finding } from '../../engine/findings/index.js';
import { VulnStore } from '../../engine/vulndb/index.js';
import type { StateIndex } from '../../scheduler/pass.js';
import { type Emulator, startEmulator } from '../emulator/index.js';
import { buildZip } from '../engine/vulndb/builders.js';
import { HAVE_SHARED, NO_SHARED_REASON, SHARED_VULNDATA } from '../helpers/paths.js';
import { demoImages, HOUR, onePass, schedulerOptions, TestClock, useEmulatorEnv } from './helpers.js';

if (!HAVE_SHARED) console.warn(`scheduler db-update: ${NO_SHARED_REASON}`);

const ALMA = join(SHARED_VULNDATA, 'osv/AlmaLinux');

function jsonFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) =>
      e.isDirectory() ? jsonFiles(join(dir, e.name)) : e.name.endsWith('.json') ? [join(dir, e.name)] : [],
    )
    .sort();
}

describe.skipIf(!HAVE_SHARED)('scheduler/run --db-update startup with --feeds-mirror', () => {
  let emu: Emulator;
  let server: Server;
  let base: string;
  /** The records the mirror serves (file path → JSON text); tests withdraw some. */
  const records = new Map<string, string>();
  const hits: string[] = [];

  beforeAll(async () => {
    for (const f of jsonFiles(ALMA)) records.set(f, readFileSync(f, 'utf8'));
    server = createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0]!;
      hits.push(path);
      if (path !== '/AlmaLinux/all.zip') {
        res.writeHead(404);
        res.end('not found');
        return;
      }
      const body = buildZip(
        [...records].map(([f, text]) => ({
          name: f.slice(ALMA.length + 1).replace(/\//g, '_'),
          data: Buffer.from(text),
        })),
      );
      const etag = `"${createHash('sha256').update(body).digest('hex').slice(0, 16)}"`;
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, { etag });
        res.end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/zip', etag, 'content-length': String(body.length) });
      res.end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const img = await demoImages();
    emu = await startEmulator({ seed: 12 });
    useEmulatorEnv(emu);
    const v = await emu.addVolume({ imagePath: img.alma });
    emu.addInstance({ volumes: [{ volumeId: v, device: '/dev/xvda' }] });
  }, 600_000);

  afterAll(async () => {
    await emu?.close();
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fills the database before the first pass, records it, and re-matches stored inventories when the data changes', async () => {
    const out = mkdtempSync(join(tmpdir(), 'snapscan-dbupdate-'));
    const db = join(out, 'vulndb.sqlite'); // does not exist yet: the update creates it
    const clock = new TestClock(Date.parse('2026-12-01T00:00:00Z'));
    const opts = schedulerOptions({
      db,
      out,
      clock,
      mode: 'agentless',
      dbUpdate: 'startup',
      feedsMirror: base,
    });

    const p1 = await onePass(opts);
    expect(hits).toContain('/AlmaLinux/all.zip');
    // The other default feeds were asked for on the mirror, failed (404), and did not stop the pass.
    expect(hits).toContain('/tracker/data/json');
    expect(p1.counts.scanned).toBe(1);
    const store = VulnStore.openReadOnly(db);
    const sources = store.info().sources.map((s) => s.name);
    store.close();
    expect(sources).toContain('osv:AlmaLinux');
    const index1 = JSON.parse(readFileSync(join(out, 'state', 'index.json'), 'utf8')) as StateIndex;
    expect(index1.dbUpdatedAt).toBe(new Date(clock.now()).toISOString());
    const entry = Object.values(index1.instances)[0]!;
    const findings1 = JSON.parse(readFileSync(join(out, 'state', entry.findingsKey!), 'utf8')) as Finding[];
    expect(findings1.length).toBeGreaterThan(0);

    // Upstream withdraws the advisories of one package the disk has; an hour later (nothing due)
    // the next process start refreshes the data, and the stored inventory is re-matched.
    // Every record naming the first finding's package is withdrawn upstream.
    const name = findings1[0]!.packageVulnerabilityDetails.vulnerablePackages[0]!.name;
    const withdrawn = [...records].filter(
      ([, text]) => text.includes(`"name": "${name}"`) || text.includes(`"name":"${name}"`),
    );
    expect(withdrawn.length).toBeGreaterThan(0);
    for (const [f] of withdrawn) records.delete(f);
    clock.advance(HOUR);
    const p2 = await onePass(opts);
    expect(p2.counts).toMatchObject({ scanned: 0, rematched: 1 });
    expect(p2.snapshots.created).toBe(0);
    expect(p2.findings.closed).toBeGreaterThan(0);
    const index2 = JSON.parse(readFileSync(join(out, 'state', 'index.json'), 'utf8')) as StateIndex;
    expect(index2.dbUpdatedAt).toBe(new Date(clock.now()).toISOString());
    expect(index2.vulnData).not.toBe(index1.vulnData);
  }, 600_000);
});

import { mkdirSync, mkdtempSync, readFileSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkHealth } from '../../../../engine/cli/commands/health.js';
import { heartbeatPath, writeHeartbeat } from '../../../../engine/home.js';
import { withWritableStore } from '../../../../engine/vulndb/index.js';

const tmp = mkdtempSync(path.join(tmpdir(), 'snapscan-health-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function byName(checks: ReturnType<typeof checkHealth>) {
  return Object.fromEntries(checks.map((c) => [c.name, c.ok]));
}

describe('engine/cli/commands/health', () => {
  const now = new Date('2026-12-06T04:00:00Z');

  it('a fresh, writable home with no database and no heartbeat yet is healthy (the scheduler fills both)', () => {
    const home = path.join(tmp, 'fresh');
    const checks = checkHealth({ env: { SNAPSCAN_HOME: home }, now });
    expect(byName(checks)).toEqual({ home: true, sqlite: true, vulndb: true, heartbeat: true });
    expect(checks.find((c) => c.name === 'vulndb')!.detail).toMatch(/not created yet/);
  });

  it.each([
    [
      'home that cannot be created (a file is in the way)',
      () => {
        const file = path.join(tmp, 'blocker');
        writeFileSync(file, 'x');
        return { env: { SNAPSCAN_HOME: path.join(file, 'home') } };
      },
      'home',
    ],
    [
      'database file that is not SQLite',
      () => {
        const home = path.join(tmp, 'corrupt');
        mkdirSync(home, { recursive: true });
        writeFileSync(path.join(home, 'vulndb.sqlite'), 'not a database at all, just text');
        return { env: { SNAPSCAN_HOME: home } };
      },
      'vulndb',
    ],
    [
      'heartbeat older than the limit',
      () => {
        const home = path.join(tmp, 'stale');
        mkdirSync(home, { recursive: true });
        const beat = path.join(home, 'heartbeat');
        writeFileSync(beat, '');
        const old = new Date(now.getTime() - 2 * 3600_000);
        utimesSync(beat, old, old);
        return { env: { SNAPSCAN_HOME: home }, maxHeartbeatAgeS: 3600 };
      },
      'heartbeat',
    ],
  ] as const)('%s → that check fails', (_name, setup, failing) => {
    const checks = checkHealth({ ...setup(), now });
    const failed = checks.filter((c) => !c.ok).map((c) => c.name);
    expect(failed).toEqual([failing]);
  });

  it('a real database and a recent heartbeat are healthy and reported', async () => {
    const home = path.join(tmp, 'real');
    mkdirSync(home, { recursive: true });
    await withWritableStore(path.join(home, 'vulndb.sqlite'), async () => {});
    const beat = path.join(home, 'heartbeat');
    writeFileSync(beat, '');
    const recent = new Date(now.getTime() - 60_000);
    utimesSync(beat, recent, recent);
    const checks = checkHealth({ env: { SNAPSCAN_HOME: home }, now, maxHeartbeatAgeS: 3600 });
    expect(byName(checks)).toEqual({ home: true, sqlite: true, vulndb: true, heartbeat: true });
    expect(checks.find((c) => c.name === 'vulndb')!.detail).toMatch(/0 advisories/);
    expect(checks.find((c) => c.name === 'heartbeat')!.detail).toMatch(/60 s old/);
  });

  it('writeHeartbeat (what the scheduler calls after each pass) makes the heartbeat check pass, and it fails 6 h later by default', () => {
    const env = { SNAPSCAN_HOME: path.join(tmp, 'beat') };
    writeHeartbeat('pass p-1 complete', env);
    expect(readFileSync(heartbeatPath(env), 'utf8')).toMatch(/^\d{4}-\d\d-\d\dT.* pass p-1 complete\n$/);
    const fresh = checkHealth({ env });
    expect(fresh.find((c) => c.name === 'heartbeat')!.ok).toBe(true);
    const later = checkHealth({ env, now: new Date(Date.now() + 6 * 3600_000 + 60_000) });
    expect(later.find((c) => c.name === 'heartbeat')!.ok).toBe(false);
  });
});

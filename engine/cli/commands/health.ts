/**
 * `snapscan health`: the container's health check (Dockerfile HEALTHCHECK, the ECS task
 * definition's healthCheck). Exit 0 when every check passes, 1 otherwise, one line per check:
 *  - home: snapscan's writable folder ($SNAPSCAN_HOME) exists or can be made, and takes a file
 *    (the container runs with a read-only root filesystem and a volume there);
 *  - sqlite: the better-sqlite3 native addon loads and answers a query;
 *  - vulndb: when the database exists it opens read-only and has a build time (absent is fine: the
 *    scheduler fills it at start);
 *  - heartbeat: when $SNAPSCAN_HOME/heartbeat exists (written by a long-running command after each
 *    unit of work: the scheduler after every pass and every minute while it waits for workers, a
 *    worker per job and every 30 s while it polls) it is younger than --max-heartbeat-age seconds.
 */
import { existsSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { heartbeatPath, snapscanHome } from '../../home.js';
import { defaultDbPath, VulnStore } from '../../vulndb/index.js';
import { type CommandSpec, formatHelp, parseCommand, wholeNumber } from '../args.js';

export const options = {
  db: {
    type: 'string',
    arg: 'FILE',
    description: 'vulnerability database to open (default: $SNAPSCAN_DB or the cache)',
  },
  'max-heartbeat-age': {
    type: 'string',
    arg: 'SECONDS',
    description: 'oldest heartbeat that is still healthy',
    dflt: '21600',
  },
  json: { type: 'boolean', description: 'print {healthy, checks} as JSON' },
} satisfies CommandSpec;

export const usage = formatHelp(
  'snapscan health [--db FILE] [--max-heartbeat-age SECONDS] [--json]',
  `Container health check: exit 0 when snapscan's home (${snapscanHome()}, $SNAPSCAN_HOME) is
writable, the SQLite addon loads, the vulnerability database (when present) opens, and the heartbeat
file (when present; the scheduler writes it after every pass and while it waits for workers, a
worker per job and while it polls) is younger than --max-heartbeat-age (default 21600 s: a pass over
a large fleet can take hours).`,
  options,
);

/** Six hours: a scheduler pass over a large fleet can take hours; a hang lasts forever. */
export const DEFAULT_MAX_HEARTBEAT_AGE_S = 21_600;

export interface HealthCheck {
  name: 'home' | 'sqlite' | 'vulndb' | 'heartbeat';
  ok: boolean;
  detail: string;
}

export function checkHealth(
  opts: { db?: string; maxHeartbeatAgeS?: number; now?: Date; env?: NodeJS.ProcessEnv } = {},
): HealthCheck[] {
  const env = opts.env ?? process.env;
  const now = opts.now ?? new Date();
  const home = snapscanHome(env);
  const checks: HealthCheck[] = [];
  try {
    mkdirSync(home, { recursive: true });
    const probe = join(home, `.health-${process.pid}`);
    writeFileSync(probe, 'ok');
    rmSync(probe);
    checks.push({ name: 'home', ok: true, detail: `${home} is writable` });
  } catch (err) {
    checks.push({ name: 'home', ok: false, detail: `${home}: ${(err as Error).message}` });
  }
  try {
    const mem = new Database(':memory:');
    const v = mem.prepare('select sqlite_version() as v').get() as { v: string };
    mem.close();
    checks.push({ name: 'sqlite', ok: true, detail: `better-sqlite3 loads (SQLite ${v.v})` });
  } catch (err) {
    checks.push({ name: 'sqlite', ok: false, detail: (err as Error).message });
  }
  const db = opts.db ?? defaultDbPath(env);
  if (!existsSync(db)) {
    checks.push({ name: 'vulndb', ok: true, detail: `${db} not created yet` });
  } else {
    try {
      const store = VulnStore.openReadOnly(db);
      const info = store.info();
      store.close();
      checks.push({
        name: 'vulndb',
        ok: true,
        detail: `${db}: ${info.counts.advisories} advisories, built ${info.builtAt ?? 'never'}`,
      });
    } catch (err) {
      checks.push({ name: 'vulndb', ok: false, detail: `${db}: ${(err as Error).message}` });
    }
  }
  const beat = heartbeatPath(env);
  const maxAge = opts.maxHeartbeatAgeS ?? DEFAULT_MAX_HEARTBEAT_AGE_S;
  if (!existsSync(beat)) {
    checks.push({ name: 'heartbeat', ok: true, detail: `${beat} not written yet` });
  } else {
    const ageS = (now.getTime() - statSync(beat).mtimeMs) / 1000;
    checks.push({
      name: 'heartbeat',
      ok: ageS <= maxAge,
      detail: `${beat} is ${Math.round(ageS)} s old (limit ${maxAge} s)`,
    });
  }
  return checks;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, options);
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const maxHeartbeatAgeS = wholeNumber('max-heartbeat-age', values['max-heartbeat-age']);
  const checks = checkHealth({
    ...(values.db ? { db: values.db } : {}),
    ...(maxHeartbeatAgeS !== undefined ? { maxHeartbeatAgeS } : {}),
  });
  const healthy = checks.every((c) => c.ok);
  if (values.json) process.stdout.write(`${JSON.stringify({ healthy, checks })}\n`);
  else for (const c of checks) process.stdout.write(`${c.ok ? 'ok  ' : 'FAIL'} ${c.name}: ${c.detail}\n`);
  return healthy ? 0 : 1;
}

/**
 * snapscan's writable folder (vulnerability database, unpacked images): `$SNAPSCAN_HOME`, else
 * `$XDG_CACHE_HOME/snapscan`, else `~/.cache/snapscan`. The container sets SNAPSCAN_HOME to a
 * volume (/var/lib/snapscan) so the root filesystem can stay read-only.
 */

import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export function snapscanHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SNAPSCAN_HOME) return env.SNAPSCAN_HOME;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'snapscan');
}

/** The file a long-running command (scheduler, worker) touches after each unit of work. */
export function heartbeatPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(snapscanHome(env), 'heartbeat');
}

/**
 * Touches the heartbeat after a unit of work (a scheduler pass); `snapscan health` fails when it
 * grows older than its limit. Written to a temp name and renamed, so a reader never sees half a file.
 */
export function writeHeartbeat(detail: string, env: NodeJS.ProcessEnv = process.env): void {
  const file = heartbeatPath(env);
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, `${new Date().toISOString()} ${detail}\n`);
  renameSync(tmp, file);
}

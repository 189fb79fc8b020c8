/**
 * snapscan's writable folder (vulnerability database, unpacked images): `$SNAPSCAN_HOME`, else
 * `$XDG_CACHE_HOME/snapscan`, else `~/.cache/snapscan`. The container sets SNAPSCAN_HOME to a
 * volume (/var/lib/snapscan) so the root filesystem can stay read-only.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export function snapscanHome(env: NodeJS.ProcessEnv = process.env): string {
  if (env.SNAPSCAN_HOME) return env.SNAPSCAN_HOME;
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'snapscan');
}

/** The file a long-running command (scheduler, worker) touches after each unit of work. */
export function heartbeatPath(env: NodeJS.ProcessEnv = process.env): string {
  return join(snapscanHome(env), 'heartbeat');
}

/**
 * Debian's rpm (4.18) as an oracle: `rpm --dbpath <copy> -qa` over a private copy of a database
 * (rpm may create -shm/-wal files next to an sqlite database). Backends: sqlite (default) and
 * bdb_ro (read-only Berkeley DB); Debian's rpm has no ndb backend.
 */
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export const QF = '%{NAME}\\t%{EPOCHNUM}:%{VERSION}-%{RELEASE}\\t%{ARCH}\\n';

export function haveRpm(): boolean {
  try {
    execFileSync('rpm', ['--version'], { stdio: 'pipe' });
    return true;
  } catch {
    return false;
  }
}

/** Lines `name\tepoch:version-release\tarch` in rpm's order. */
export function rpmQa(file: string, fileName: string, backend?: 'sqlite' | 'bdb_ro'): string[] {
  const dir = mkdtempSync(join(tmpdir(), 'snapscan-rpmqa-'));
  try {
    copyFileSync(file, join(dir, fileName));
    const args = ['--dbpath', dir];
    if (backend) args.push('--define', `_db_backend ${backend}`);
    args.push('-qa', '--qf', QF);
    const out = execFileSync('rpm', args, {
      stdio: ['ignore', 'pipe', 'pipe'],
      encoding: 'utf8',
      timeout: 60_000,
    });
    return out.split('\n').filter((l) => l !== '');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

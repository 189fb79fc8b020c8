/**
 * Exit codes of the CLI (engine/cli/exit-codes.ts, README "Scan outcome and exit codes"): a
 * complete scan exits 0, a partial one 3 (0 with --allow-partial), a failed one 4, a usage error 2;
 * one stderr line per reason. Runs bin/snapscan.js on images the disk builder makes.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { EXIT, outcomeExitCode } from '../../../engine/cli/exit-codes.js';
import { ext4Image, haveTools } from '../../helpers/disk-builder.js';
import { REPO_ROOT } from '../../helpers/paths.js';

const OS_RELEASE = 'NAME="Debian GNU/Linux"\nVERSION_ID="12"\nVERSION_CODENAME=bookworm\nID=debian\n';
const STATUS =
  'Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.13.dfsg-1\nDescription: compression library\n';

const work = mkdtempSync(join(tmpdir(), 'snapscan-exit-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

function cli(...args: string[]): { code: number | null; stderr: string[] } {
  const r = spawnSync(process.execPath, [join(REPO_ROOT, 'bin/snapscan.js'), ...args], {
    encoding: 'utf8',
    env: { ...process.env, SNAPSCAN_CACHE: join(work, 'cache') },
  });
  return { code: r.status, stderr: r.stderr.split('\n').filter((l) => l.startsWith('snapscan:')) };
}

describe('engine/cli/exit-codes', () => {
  it.each([
    { states: [], allow: false, want: EXIT.OK },
    { states: ['complete'], allow: false, want: EXIT.OK },
    { states: ['complete', 'partial'], allow: false, want: EXIT.PARTIAL },
    { states: ['partial'], allow: true, want: EXIT.OK },
    { states: ['partial', 'failed'], allow: true, want: EXIT.FAILED },
    { states: ['failed'], allow: false, want: EXIT.FAILED },
  ] as const)('outcomeExitCode($states, allowPartial=$allow) = $want', ({ states, allow, want }) => {
    expect(outcomeExitCode(states, allow)).toBe(want);
  });

  it('the five codes are distinct', () => {
    expect(new Set(Object.values(EXIT)).size).toBe(Object.values(EXIT).length);
  });
});

describe.skipIf(!haveTools('mkfs.ext4'))('bin/snapscan.js exit codes', () => {
  it.each([
    {
      name: 'complete → 0',
      image: () =>
        ext4Image('exit-complete', { 'etc/os-release': OS_RELEASE, 'var/lib/dpkg/status': STATUS }, 8),
      args: [],
      code: EXIT.OK,
      lines: [],
    },
    {
      name: 'partial (OS, no package database) → 3',
      image: () => ext4Image('exit-nodb', { 'etc/os-release': OS_RELEASE }, 8),
      args: [],
      code: EXIT.PARTIAL,
      lines: [/: partial: no-package-database \(disk\): debian 12 identified but no package database/],
    },
    {
      name: 'partial with --allow-partial → 0, the reason still printed',
      image: () => ext4Image('exit-nodb', { 'etc/os-release': OS_RELEASE }, 8),
      args: ['--allow-partial'],
      code: EXIT.OK,
      lines: [/: partial: no-package-database/],
    },
    {
      name: 'failed (all zeros) → 4',
      image: () => {
        const p = join(work, 'zeros.img');
        writeFileSync(p, Buffer.alloc(4 * 1024 * 1024));
        return p;
      },
      args: [],
      code: EXIT.FAILED,
      lines: [/: failed: no-volume-recognised \(disk\): no partition table/],
    },
  ])('inventory: $name', ({ image, args, code, lines }) => {
    const r = cli('inventory', '--image', image(), '--format', 'json', '-q', ...args);
    expect(r.code).toBe(code);
    expect(r.stderr).toHaveLength(lines.length);
    for (const [i, re] of lines.entries()) expect(r.stderr[i]).toMatch(re);
  });

  it.each([
    { name: 'unknown option', args: ['inventory', '--bogus'] },
    { name: 'missing --image', args: ['inventory'] },
    {
      name: '--exit-code colliding with an outcome code',
      args: ['scan', '--image', 'x.img', '--exit-code', '3'],
    },
    { name: 'unknown command', args: ['nosuch'] },
  ])('usage error ($name) → 2', ({ args }) => {
    const r = cli(...args);
    expect(r.code).toBe(EXIT.USAGE);
    expect(r.stderr.length).toBeGreaterThan(0);
  });
});

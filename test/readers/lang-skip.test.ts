/**
 * readers/lang-skip.ts: `--lang-skip` parsing (adds to the defaults, `!` takes a default back, bad
 * input is a usage error), and end to end through `snapscan scan --image` (the worker pool) on the
 * real language root: skipping /srv drops exactly the packages npm installed under /srv.
 */
import { describe, expect, it } from 'vitest';
import { ScanError } from '../../engine/errors.js';
import type { Inventory } from '../../engine/inventory/types.js';
import { DEFAULT_LANG_SKIP, langSkipList, MAX_LANG_SKIP_PATTERNS } from '../../readers/lang-skip.js';
import { runCli } from '../emulator/run-cli.js';
import { langImages } from '../helpers/lang-images.js';

describe('readers/lang-skip', () => {
  it.each([
    ['absent', undefined, [...DEFAULT_LANG_SKIP]],
    ['empty', ' ', [...DEFAULT_LANG_SKIP]],
    ['one added', '/srv', [...DEFAULT_LANG_SKIP, '/srv']],
    ['normalised, * kept', '/opt//*/cache/,/data', [...DEFAULT_LANG_SKIP, '/opt/*/cache', '/data']],
    ['a default taken back', '!/tmp', DEFAULT_LANG_SKIP.filter((d) => d !== '/tmp')],
    [
      'both',
      '!/var/cache, /home/*/venvs',
      [...DEFAULT_LANG_SKIP.filter((d) => d !== '/var/cache'), '/home/*/venvs'],
    ],
  ])('%s', (_name, raw, want) => {
    const got = langSkipList(raw as string | undefined) ?? [...DEFAULT_LANG_SKIP];
    expect([...got].sort()).toEqual([...want].sort());
  });

  it.each([
    ['relative', 'srv', /must be an absolute directory path/],
    ['parent component', '/srv/../etc', /must be an absolute directory path/],
    ['! on something not skipped by default', '!/srv', /names no default skipped directory/],
    [
      'too many',
      Array.from({ length: MAX_LANG_SKIP_PATTERNS + 1 }, (_, i) => `/d${i}`).join(','),
      /more than 256/,
    ],
  ])('rejects %s', (_name, raw, message) => {
    expect(() => langSkipList(raw)).toThrow(ScanError);
    expect(() => langSkipList(raw)).toThrow(message);
  });

  it('CLI: a bad --lang-skip is a usage error (exit 2, one line)', async () => {
    const r = await runCli(['inventory', '--image', '/nonexistent.img', '--lang-skip', 'srv']);
    expect(r.code).toBe(2);
    expect(r.stderr.trim().split('\n')).toHaveLength(1);
    expect(r.stderr).toMatch(/--lang-skip: "srv" must be an absolute directory path/);
  });

  const images = langImages();
  it.skipIf(typeof images === 'string')(
    'snapscan scan --image (worker pool) on the Debian language root: --lang-skip /srv drops exactly the /srv packages',
    async () => {
      const img = (images as Exclude<typeof images, string>).ext4;
      const inv = async (extra: string[]) => {
        const r = await runCli(
          ['inventory', '--image', img, '--packages', 'lang', '--format', 'json', '--quiet', ...extra],
          {},
          300_000,
        );
        expect(r.code).toBe(0);
        return JSON.parse(r.stdout) as Inventory;
      };
      // scan --format inventory: the same through the worker pool (the flag rides in each task).
      const scanned = async (extra: string[]) => {
        const r = await runCli(
          ['scan', '--image', img, '--packages', 'lang', '--format', 'inventory', '--quiet', ...extra],
          {},
          300_000,
        );
        expect(r.code).toBe(0);
        const out = JSON.parse(r.stdout) as Inventory | Inventory[];
        return Array.isArray(out) ? out[0]! : out;
      };
      const all = await inv([]);
      const skipped = await inv(['--lang-skip', '/srv']);
      const pooled = await scanned(['--lang-skip', '/srv']);
      const path = (p: Inventory['packages'][number]) => p.locations[0]?.path ?? '';
      const underSrv = all.packages.filter((p) => path(p).startsWith('/srv/'));
      expect(underSrv.length).toBeGreaterThan(0);
      expect(skipped.packages.map((p) => `${p.name}@${p.version} ${path(p)}`).sort()).toEqual(
        all.packages
          .filter((p) => !path(p).startsWith('/srv/'))
          .map((p) => `${p.name}@${p.version} ${path(p)}`)
          .sort(),
      );
      expect(pooled.packages.map((p) => `${p.name}@${p.version} ${path(p)}`).sort()).toEqual(
        skipped.packages.map((p) => `${p.name}@${p.version} ${path(p)}`).sort(),
      );
    },
    600_000,
  );
});

/**
 * Opening `--image`: only regular files and block devices are opened (a FIFO without a writer would
 * block forever), bad `.gz` input gives one typed line, and no `*.tmp` is left in the cache.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openImage, rawImagePath } from '../../../engine/cli/image.js';
import { ScanError } from '../../../engine/errors.js';

const work = mkdtempSync(join(tmpdir(), 'snapscan-image-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));
const cache = join(work, 'cache');
let saved: string | undefined;
beforeEach(() => {
  saved = process.env.SNAPSCAN_CACHE;
  process.env.SNAPSCAN_CACHE = cache;
});
afterEach(() => {
  if (saved === undefined) delete process.env.SNAPSCAN_CACHE;
  else process.env.SNAPSCAN_CACHE = saved;
});

function cacheFiles(): string[] {
  try {
    return readdirSync(join(cache, 'images'));
  } catch {
    return [];
  }
}

const payload = Buffer.concat([Buffer.from('disk'), Buffer.alloc(200_000), Buffer.from('end')]);
const gz = gzipSync(payload);

describe('engine/cli/image', () => {
  it.each([
    {
      name: 'not gzip',
      bytes: Buffer.from('this is not gzip data\n'),
      code: 'bad-magic',
      message: /^gzip: member header of .* at 0x0: ID1 ID2 7468 != 1f8b/,
    },
    { name: 'empty', bytes: Buffer.alloc(0), code: 'bad-magic', message: /ID1 ID2 empty file != 1f8b/ },
    {
      name: 'truncated',
      bytes: gz.subarray(0, Math.floor(gz.length / 2)),
      code: 'truncated',
      message: /^gzip: deflate stream of .*: the file ends inside the compressed stream/,
    },
    {
      name: 'corrupt deflate data',
      bytes: Buffer.concat([gz.subarray(0, 10), Buffer.alloc(gz.length - 10, 0xff)]),
      code: 'corrupt',
      message: /^gzip: deflate stream of /,
    },
  ])(
    'bad .gz ($name): typed error, one line, nothing left in the cache',
    async ({ name, bytes, code, message }) => {
      const p = join(work, `${name.replace(/\W/g, '-')}.img.gz`);
      writeFileSync(p, bytes);
      const err = await rawImagePath(p).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ScanError);
      expect((err as ScanError).code).toBe(code);
      expect((err as ScanError).message).toMatch(message);
      expect((err as ScanError).message).not.toContain('\n');
      expect(cacheFiles()).toEqual([]);
    },
  );

  it('a good .gz unpacks once into the cache, byte for byte', async () => {
    const p = join(work, 'good.img.gz');
    writeFileSync(p, gz);
    const raw = await rawImagePath(p);
    const src = await openImage(raw);
    try {
      expect(src.size).toBe(BigInt(payload.length));
      expect(await src.read(0n, 4)).toEqual(Buffer.from('disk'));
    } finally {
      await src.close();
    }
    expect(cacheFiles().filter((f) => f.endsWith('.tmp'))).toEqual([]);
  });

  it.each([
    { name: 'a FIFO without a writer', make: (p: string) => execFileSync('mkfifo', [p]), what: /FIFO/ },
    { name: 'a directory', make: (p: string) => mkdirSync(p), what: /it is a directory/ },
    { name: 'a missing file', make: () => {}, what: /no such file or directory$/ },
  ])('--image on $name is refused at once, in one line', async ({ name, make, what }) => {
    for (const ext of ['.img', '.img.gz']) {
      const p = join(work, `${name.replace(/\W/g, '-')}${ext}`);
      make(p);
      const err = await openImage(p).catch((e: unknown) => e);
      expect((err as ScanError).code).toBe('source-error');
      expect((err as ScanError).message).toMatch(new RegExp(`^cannot open image ${p}: `));
      if (ext === '.img') expect((err as ScanError).message).toMatch(what);
    }
  });
});

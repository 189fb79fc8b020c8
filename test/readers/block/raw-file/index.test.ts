/** Raw image file source: positional reads, and errors whose figures are possible. */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ScanError } from '../../../../engine/errors.js';
import { RawFileSource } from '../../../../readers/block/raw-file/index.js';

const work = mkdtempSync(join(tmpdir(), 'snapscan-raw-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('readers/block/raw-file', () => {
  const path = join(work, 'ten.img');
  writeFileSync(path, Buffer.from('0123456789'));

  it.each([
    { name: 'inside', offset: 2n, length: 4, want: '2345' },
    { name: 'up to the end', offset: 6n, length: 4, want: '6789' },
  ])('reads $name', async ({ offset, length, want }) => {
    const src = await RawFileSource.open(path);
    try {
      expect((await src.read(offset, length)).toString()).toBe(want);
    } finally {
      await src.close();
    }
  });

  it.each([
    { name: 'across the end', offset: 8n, length: 4, have: 2 },
    { name: 'at the end', offset: 10n, length: 4, have: 0 },
    // Was "read needs 4 bytes, -14586 available": what is left past the end is 0, not negative.
    { name: 'far past the end', offset: 14596n, length: 4, have: 0 },
  ])('a read $name is a truncated error with a possible figure', async ({ offset, length, have }) => {
    const src = await RawFileSource.open(path);
    try {
      const err = (await src.read(offset, length).catch((e: unknown) => e)) as ScanError;
      expect(err.code).toBe('truncated');
      expect(err.message).toMatch(new RegExp(`read needs ${length} bytes, ${have} available$`));
    } finally {
      await src.close();
    }
  });
});

import { describe, expect, it } from 'vitest';
import { BlockMap } from '../../../../readers/block/ebs/block-map.js';

const ok = { VolumeSize: 1, BlockSize: 524288 };
const blk = (i: number) => ({ BlockIndex: i, BlockToken: `t${i}` });

describe('readers/block/ebs/block-map', () => {
  it('accepts ascending pages and records tokens with their expiry', () => {
    const m = new BlockMap('snap-0123456789abcdef0');
    const last = m.addPage({ ...ok, Blocks: [blk(0), blk(5)], ExpiryTime: new Date(5000) }, -1);
    expect(last).toBe(5);
    expect(m.addPage({ ...ok, Blocks: [blk(9)] }, last)).toBe(9);
    expect(m.blockCount).toBe(2048);
    expect(m.blocks.get(5)).toEqual({ token: 't5', expiresAt: 5000 });
    expect(m.blocks.get(9)?.expiresAt).toBe(Number.POSITIVE_INFINITY);
  });

  it.each([
    { case: 'VolumeSize 0', page: { ...ok, VolumeSize: 0 }, field: 'VolumeSize' },
    { case: 'VolumeSize above 64 TiB', page: { ...ok, VolumeSize: 65537 }, field: 'VolumeSize' },
    { case: 'VolumeSize not an integer', page: { ...ok, VolumeSize: 1.5 }, field: 'VolumeSize' },
    { case: 'BlockSize not a power of two', page: { ...ok, BlockSize: 500000 }, field: 'BlockSize' },
    { case: 'BlockSize above the limit', page: { ...ok, BlockSize: 1048576 }, field: 'BlockSize' },
    { case: 'BlockSize missing', page: { VolumeSize: 1 }, field: 'BlockSize' },
    { case: 'index past the volume', page: { ...ok, Blocks: [blk(2048)] }, field: 'BlockIndex' },
    { case: 'negative index', page: { ...ok, Blocks: [blk(-1)] }, field: 'BlockIndex' },
    { case: 'descending indexes', page: { ...ok, Blocks: [blk(3), blk(2)] }, field: 'BlockIndex' },
    { case: 'duplicate index', page: { ...ok, Blocks: [blk(3), blk(3)] }, field: 'BlockIndex' },
    {
      case: 'empty token',
      page: { ...ok, Blocks: [{ BlockIndex: 1, BlockToken: '' }] },
      field: 'BlockToken',
    },
    {
      case: 'huge token',
      page: { ...ok, Blocks: [{ BlockIndex: 1, BlockToken: 'x'.repeat(5000) }] },
      field: 'BlockToken',
    },
  ])('rejects $case', ({ page, field }) => {
    const m = new BlockMap('snap-0123456789abcdef0');
    expect(() => m.addPage(page, -1)).toThrow(expect.objectContaining({ code: 'corrupt', field }));
  });

  it('rejects a page whose geometry differs from the first', () => {
    const m = new BlockMap('snap-0123456789abcdef0');
    m.addPage({ ...ok, Blocks: [blk(1)] }, -1);
    expect(() => m.addPage({ VolumeSize: 2, BlockSize: 524288, Blocks: [blk(4)] }, 1)).toThrow(
      expect.objectContaining({ code: 'corrupt' }),
    );
  });

  it('rejects a page that does not advance past the previous one', () => {
    const m = new BlockMap('snap-0123456789abcdef0');
    const last = m.addPage({ ...ok, Blocks: [blk(1), blk(7)] }, -1);
    expect(() => m.addPage({ ...ok, Blocks: [blk(7)] }, last)).toThrow(
      expect.objectContaining({ code: 'corrupt' }),
    );
  });
});

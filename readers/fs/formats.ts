/**
 * Explicit registry of filesystem formats, in probe order, and the probe loop. A probe answers
 * "is this my format?"; the loop swallows BadMagicError alone — any other error from a format
 * that matched propagates (trivy vm/disk habit), so corruption is never reported as "no filesystem".
 */
import { BadMagicError } from '../../engine/errors.js';
import type { BlockSource } from '../block/types.js';
import { ext4 } from './ext4/index.js';
import type { FsFormat } from './types.js';
import { xfs } from './xfs/index.js';

export const FS_FORMATS: readonly FsFormat[] = [ext4, xfs];

export async function probeFileSystem(
  source: BlockSource,
  formats: readonly FsFormat[] = FS_FORMATS,
): Promise<FsFormat | undefined> {
  for (const f of formats) {
    try {
      if (await f.probe(source)) return f;
    } catch (err) {
      if (err instanceof BadMagicError) continue;
      throw err;
    }
  }
  return undefined;
}

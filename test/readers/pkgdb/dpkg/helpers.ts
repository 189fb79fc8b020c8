/** Runs one OS cataloger over a fixture tree through the dispatcher (readers/dispatch.ts). */
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import type { OsInfo } from '../../../../engine/model/os.js';
import type { Package } from '../../../../engine/model/package.js';
import type { Cataloger } from '../../../../readers/cataloger.js';
import { runOsCatalogers } from '../../../../readers/dispatch.js';
import type { FileSystem } from '../../../../readers/fs/types.js';
import { detectOs } from '../../../../readers/os/index.js';
import { dirFileSystem } from '../../../helpers/dir-fs.js';

export interface RunResult {
  fs: FileSystem;
  os: OsInfo | undefined;
  packages: Package[];
  errors: Array<{ path: string; error: { code: string; message: string } }>;
}

export async function runCataloger(cat: Cataloger, root: string): Promise<RunResult> {
  const fs = dirFileSystem(root);
  const os = await detectOs(fs);
  // The real dispatcher: fixed paths, `dir/*`, aliases offered once under their canonical path.
  const r = await runOsCatalogers([cat], { fs, os, limits: { ...DEFAULT_LIMITS } });
  return { fs, os, packages: r.packages, errors: r.errors.map(({ path, error }) => ({ path, error })) };
}

/** Runs one OS cataloger over a fixture tree the way the dispatcher does (fixed paths, `dir/*`). */
import { DEFAULT_LIMITS } from '../../../../engine/limits.js';
import type { OsInfo } from '../../../../engine/model/os.js';
import type { Package } from '../../../../engine/model/package.js';
import type { Cataloger } from '../../../../readers/cataloger.js';
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
  const ctx = { fs, os, limits: { ...DEFAULT_LIMITS } };
  const out: RunResult = { fs, os, packages: [], errors: [] };
  for (const pattern of cat.paths ?? []) {
    let paths = [pattern];
    if (pattern.endsWith('/*')) {
      const dir = pattern.slice(0, -2);
      paths = (await fs.exists(dir)) ? (await fs.readdir(dir)).map((e) => `${dir}/${e.name}`).sort() : [];
    }
    for (const path of paths) {
      if (!(await fs.exists(path))) continue;
      const st = await fs.stat(path);
      if (st.type !== 'file') continue;
      const bytes = await fs.readFile(path, { maxBytes: cat.maxBytes ?? DEFAULT_LIMITS.MAX_PKGDB_BYTES });
      const r = await cat.catalog({ path, bytes }, ctx);
      out.packages.push(...r.packages);
      out.errors.push(...r.errors);
    }
  }
  return out;
}

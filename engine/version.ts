import { existsSync, readFileSync } from 'node:fs';

// package.json sits one folder up from the sources (engine/) and two from the build (dist/engine/).
const pkgUrl = [
  new URL('../package.json', import.meta.url),
  new URL('../../package.json', import.meta.url),
].find((u) => existsSync(u));
if (!pkgUrl) throw new Error(`snapscan: package.json not found above ${import.meta.url}`);
const pkg = JSON.parse(readFileSync(pkgUrl, 'utf8')) as { version: string };

/** Tool identity written into every inventory, SBOM and finding export. */
export const TOOL = Object.freeze({ name: 'snapscan', version: pkg.version });

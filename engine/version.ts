import { readFileSync } from 'node:fs';

const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
  version: string;
};

/** Tool identity written into every inventory, SBOM and finding export. */
export const TOOL = Object.freeze({ name: 'snapscan', version: pkg.version });

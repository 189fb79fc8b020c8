import { existsSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Repository root. */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
/** Shared, read-only third-party data (fixtures, vulndata); absent on a bare clone. */
export const SHARED_DIR = resolve(REPO_ROOT, '../shared');
export const SHARED_FIXTURES = resolve(SHARED_DIR, 'fixtures');
export const SHARED_VULNDATA = resolve(SHARED_DIR, 'vulndata');
export const HAVE_SHARED = existsSync(SHARED_FIXTURES);
export const NO_SHARED_REASON = `../shared is missing (${SHARED_DIR}): tests on third-party fixtures are skipped`;
/** Cache for generated images (gitignored). */
export const TEST_CACHE = process.env.SNAPSCAN_TEST_CACHE ?? resolve(REPO_ROOT, '.cache');

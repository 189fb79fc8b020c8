/**
 * Composer's record of installed packages, `vendor/composer/installed.json`
 * (https://getcomposer.org/doc/07-runtime.md#installed-versions):
 *
 *   Composer 2: { "packages": [ { "name": "symfony/http-kernel", "version": "v5.4.1",
 *                 "version_normalized": "5.4.1.0", "license": ["MIT"], "type": "library" }, … ],
 *                 "dev": true, "dev-package-names": ["phpunit/phpunit", …] }
 *   Composer 1: the bare array of those package objects.
 *
 * A package entry without a string name and version is dropped and reported (the rest of the file
 * is still read), as is an entry that is not an object. Dev packages are kept and marked.
 */
import { CorruptError, type ScanError } from '../../../engine/errors.js';

export interface ComposerPackage {
  name: string;
  version: string;
  versionNormalized?: string;
  licenses: string[];
  dev: boolean;
}

export function parseInstalledJson(bytes: Buffer): { packages: ComposerPackage[]; errors: ScanError[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new CorruptError(
      { format: 'composer/installed.json', struct: 'document', offset: 0 },
      (err as Error).message,
      'is',
      'valid JSON',
    );
  }
  let list: unknown;
  let devNames = new Set<string>();
  if (Array.isArray(doc)) list = doc;
  else if (doc && typeof doc === 'object') {
    const d = doc as Record<string, unknown>;
    list = d.packages;
    if (Array.isArray(d['dev-package-names']))
      devNames = new Set(d['dev-package-names'].filter((n): n is string => typeof n === 'string'));
  }
  if (!Array.isArray(list)) {
    throw new CorruptError(
      { format: 'composer/installed.json', struct: 'document', offset: 0, field: 'packages' },
      typeof list,
      'is not',
      'an array of packages',
    );
  }
  const packages: ComposerPackage[] = [];
  const errors: ScanError[] = [];
  list.forEach((e, i) => {
    const r = e && typeof e === 'object' && !Array.isArray(e) ? (e as Record<string, unknown>) : undefined;
    if (!r || typeof r.name !== 'string' || !r.name || typeof r.version !== 'string' || !r.version) {
      errors.push(
        new CorruptError(
          { format: 'composer/installed.json', struct: `packages[${i}]`, offset: 0 },
          r ? 'an entry without a string name and version' : typeof e,
          'is not',
          'a package',
        ),
      );
      return;
    }
    const lic = r.license;
    const licenses = (Array.isArray(lic) ? lic : [lic]).filter(
      (l): l is string => typeof l === 'string' && l.length > 0,
    );
    const p: ComposerPackage = { name: r.name, version: r.version, licenses, dev: devNames.has(r.name) };
    if (typeof r.version_normalized === 'string') p.versionNormalized = r.version_normalized;
    packages.push(p);
  });
  return { packages, errors };
}

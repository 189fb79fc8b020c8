/**
 * The `pypi` package type: Python distributions, matched against OSV's PyPI ecosystem with PEP 440.
 * Names compare after PEP 503 normalisation (runs of `-`, `_`, `.` → `-`, lower case): the purl
 * spec asks the same of the purl name, and pip treats `PyYAML`, `pyyaml` and `py_yaml` alike.
 */
import type { PackageTypeInfo } from '../../../engine/model/package-type.js';
import { buildPurl } from '../../purl.js';

/** https://peps.python.org/pep-0503/#normalized-names */
export function normalizePypiName(name: string): string {
  return name.replace(/[-_.]+/g, '-').toLowerCase();
}

export const pypiType: PackageTypeInfo = {
  id: 'pypi',
  displayName: 'Python package',
  kind: 'lang',
  advisories: { from: 'osv', ecosystem: 'PyPI' },
  versionScheme: 'pep440',
  packageManager: 'PYTHONPKG',
  advisoryName: (pkg) => normalizePypiName(pkg.name),
  remediation: (pkg, fixed) => `pip install --upgrade "${pkg.name}>=${fixed}"`,
  purl: (parts) => buildPurl('pypi', { ...parts, name: normalizePypiName(parts.name) }),
};

/**
 * .NET dependency manifests, `<app>.deps.json`, written next to every framework-dependent or
 * self-contained .NET Core / .NET 5+ application
 * (https://github.com/dotnet/sdk/blob/main/documentation/specs/runtime-configuration-file.md):
 *
 *   { "runtimeTarget": { "name": ".NETCoreApp,Version=v6.0" },
 *     "targets":   { ".NETCoreApp,Version=v6.0": { "Newtonsoft.Json/13.0.1": { "runtime": {…} } } },
 *     "libraries": { "Newtonsoft.Json/13.0.1": { "type": "package", "sha512": "…", "path": "…" },
 *                    "MyApp/1.0.0": { "type": "project" } } }
 *
 * Packages are the `libraries` of type `package` (NuGet packages); `project` and `reference`
 * entries are the application's own assemblies. A key without `name/version` is reported and
 * skipped; the rest of the file is still read.
 */
import { CorruptError, type ScanError } from '../../../engine/errors.js';

export interface DepsJsonLibrary {
  name: string;
  version: string;
  sha512?: string;
  path?: string;
}

export function parseDepsJson(bytes: Buffer): { libraries: DepsJsonLibrary[]; errors: ScanError[] } {
  let doc: unknown;
  try {
    doc = JSON.parse(bytes.toString('utf8'));
  } catch (err) {
    throw new CorruptError(
      { format: 'nuget/deps.json', struct: 'document', offset: 0 },
      (err as Error).message,
      'is',
      'valid JSON',
    );
  }
  const libs =
    doc && typeof doc === 'object' && !Array.isArray(doc)
      ? (doc as Record<string, unknown>).libraries
      : undefined;
  if (!libs || typeof libs !== 'object' || Array.isArray(libs)) {
    throw new CorruptError(
      { format: 'nuget/deps.json', struct: 'document', offset: 0, field: 'libraries' },
      typeof libs,
      'is not',
      'an object',
    );
  }
  const libraries: DepsJsonLibrary[] = [];
  const errors: ScanError[] = [];
  for (const [key, value] of Object.entries(libs as Record<string, unknown>)) {
    const v = value && typeof value === 'object' ? (value as Record<string, unknown>) : {};
    if (v.type !== 'package') continue;
    const slash = key.lastIndexOf('/');
    if (slash <= 0 || slash === key.length - 1) {
      errors.push(
        new CorruptError(
          { format: 'nuget/deps.json', struct: 'libraries', offset: 0, field: key.slice(0, 80) },
          JSON.stringify(key.slice(0, 80)),
          'is not',
          '"name/version"',
        ),
      );
      continue;
    }
    const lib: DepsJsonLibrary = { name: key.slice(0, slash), version: key.slice(slash + 1) };
    if (typeof v.sha512 === 'string') lib.sha512 = v.sha512;
    if (typeof v.path === 'string') lib.path = v.path;
    libraries.push(lib);
  }
  return { libraries, errors };
}

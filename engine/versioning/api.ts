/**
 * The explicit registry: version scheme id → module, and advisory ecosystem → comparator.
 *
 * Ecosystems are OSV ecosystem strings (https://ossf.github.io/osv-schema/#affectedpackage-field):
 * a base name, optionally followed by `:<release>` (`Debian:12`, `Ubuntu:Pro:22.04:LTS`,
 * `Red Hat:enterprise_linux:9::appstream`). The comparator is chosen by the base. There is no
 * fallback: an ecosystem not listed here throws UnknownEcosystemError, which the matcher reports
 * as an `unknown` outcome.
 */
import * as apk from './apk/index.js';
import * as composer from './composer/index.js';
import * as deb from './deb/index.js';
import * as gem from './gem/index.js';
import * as go from './go/index.js';
import * as maven from './maven/index.js';
import * as nuget from './nuget/index.js';
import * as pep440 from './pep440/index.js';
import * as rpm from './rpm/index.js';
import * as semver from './semver/index.js';
import { type Comparator, UnknownEcosystemError, type VersioningModule } from './types.js';

export const versionings: ReadonlyMap<string, VersioningModule> = new Map<string, VersioningModule>([
  [apk.id, apk],
  [composer.id, composer],
  [deb.id, deb],
  [gem.id, gem],
  [go.id, go],
  [maven.id, maven],
  [nuget.id, nuget],
  [pep440.id, pep440],
  [rpm.id, rpm],
  [semver.id, semver],
]);

/** OSV ecosystem base name → version scheme id. */
export const ecosystemSchemes: ReadonlyMap<string, string> = new Map([
  ['Debian', 'deb'],
  ['Ubuntu', 'deb'],
  ['Alpine', 'apk'],
  ['Wolfi', 'apk'],
  ['Chainguard', 'apk'],
  ['AlmaLinux', 'rpm'],
  ['Rocky Linux', 'rpm'],
  ['Red Hat', 'rpm'],
  ['SUSE', 'rpm'],
  ['openSUSE', 'rpm'],
  ['Amazon Linux', 'rpm'],
  ['Oracle Linux', 'rpm'],
  ['Mageia', 'rpm'],
  ['openEuler', 'rpm'],
  ['Photon OS', 'rpm'],
  ['npm', 'semver'],
  ['crates.io', 'semver'],
  ['PyPI', 'pep440'],
  ['Maven', 'maven'],
  ['Go', 'go'],
  ['RubyGems', 'gem'],
  ['NuGet', 'nuget'],
  ['Packagist', 'composer'],
]);

export function ecosystemBase(ecosystem: string): string {
  const colon = ecosystem.indexOf(':');
  return colon < 0 ? ecosystem : ecosystem.slice(0, colon);
}

export function getVersioning(schemeId: string): VersioningModule {
  const m = versionings.get(schemeId);
  if (!m) throw new UnknownEcosystemError(schemeId);
  return m;
}

/** Comparator for an OSV ecosystem's ECOSYSTEM-type ranges and version lists. */
export function comparatorFor(ecosystem: string): Comparator {
  const scheme = ecosystemSchemes.get(ecosystemBase(ecosystem));
  if (scheme === undefined) throw new UnknownEcosystemError(ecosystem);
  return getVersioning(scheme).comparator;
}

/**
 * Comparator for an OSV range of type SEMVER in `ecosystem`. OSV requires SemVer 2.0 there;
 * Go's ranges are SEMVER but installed Go versions carry `v` or `go1.x` forms, so Go keeps its own.
 */
export function semverComparatorFor(ecosystem: string): Comparator {
  return ecosystemBase(ecosystem) === 'Go' ? go.comparator : semver.comparator;
}

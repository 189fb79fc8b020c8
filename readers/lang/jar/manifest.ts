/**
 * META-INF/MANIFEST.MF main section and Maven's pom.properties, both text with a bounded size.
 *
 * Manifest (JAR File Specification, "Manifest Specification"): `Name: value` headers, lines of at
 * most 72 bytes, a line starting with one space continues the previous value, a blank line ends a
 * section; the first section is the main one. Only the main section is read.
 *   https://docs.oracle.com/en/java/javase/21/docs/specs/jar/jar.html#jar-manifest
 *
 * pom.properties (written by maven-archiver at META-INF/maven/<groupId>/<artifactId>/): a Java
 * properties file with `groupId`, `artifactId`, `version`. Comments start with # or !, the key ends
 * at the first unescaped `=`, `:` or whitespace; a trailing backslash continues the line.
 *   https://docs.oracle.com/javase/8/docs/api/java/util/Properties.html#load-java.io.Reader-
 *   https://maven.apache.org/shared/maven-archiver/#pom-properties-content
 */

/** Main-section attributes, keys lower-cased (attribute names are case-insensitive). */
export function parseManifest(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let key: string | undefined;
  for (const raw of text.split(/\r\n|\r|\n/)) {
    if (raw === '') {
      if (out.size > 0) break; // end of the main section
      continue;
    }
    if (raw.startsWith(' ')) {
      if (key !== undefined) out.set(key, out.get(key)! + raw.slice(1));
      continue;
    }
    const colon = raw.indexOf(':');
    if (colon <= 0) {
      key = undefined; // not a header: ignore it and anything continuing it
      continue;
    }
    key = raw.slice(0, colon).trim().toLowerCase();
    const value = raw.slice(colon + 1).replace(/^ /, '');
    if (!out.has(key)) out.set(key, value);
  }
  for (const [k, v] of out) out.set(k, v.trim());
  return out;
}

/** Java properties: key → value (last wins, as Properties.load does). */
export function parseProperties(text: string): Map<string, string> {
  const out = new Map<string, string>();
  const lines = text.split(/\r\n|\r|\n/);
  for (let i = 0; i < lines.length; i++) {
    let line = lines[i]!.replace(/^[ \t\f]+/, '');
    if (line === '' || line.startsWith('#') || line.startsWith('!')) continue;
    // Continuation: an odd number of trailing backslashes joins the next line (leading blanks dropped).
    while (/(^|[^\\])(\\\\)*\\$/.test(line) && i + 1 < lines.length) {
      line = line.slice(0, -1) + lines[++i]!.replace(/^[ \t\f]+/, '');
    }
    let k = 0;
    while (k < line.length && !/[=: \t\f]/.test(line[k]!)) k += line[k] === '\\' ? 2 : 1;
    const key = unescapeProperty(line.slice(0, k));
    let rest = line.slice(k).replace(/^[ \t\f]*/, '');
    if (rest.startsWith('=') || rest.startsWith(':')) rest = rest.slice(1).replace(/^[ \t\f]*/, '');
    out.set(key, unescapeProperty(rest));
  }
  return out;
}

function unescapeProperty(s: string): string {
  return s.replace(/\\(u[0-9a-fA-F]{4}|.)/g, (_, e: string) => {
    if (e.length === 5) return String.fromCharCode(Number.parseInt(e.slice(1), 16));
    return e === 't' ? '\t' : e === 'n' ? '\n' : e === 'r' ? '\r' : e === 'f' ? '\f' : e;
  });
}

export interface MavenCoordinates {
  groupId: string;
  artifactId: string;
  version: string;
}

/** groupId/artifactId/version from pom.properties; undefined when any is missing. */
export function coordinatesFromPomProperties(props: Map<string, string>): MavenCoordinates | undefined {
  const groupId = props.get('groupId')?.trim();
  const artifactId = props.get('artifactId')?.trim();
  const version = props.get('version')?.trim();
  if (!groupId || !artifactId || !version) return undefined;
  return { groupId, artifactId, version };
}

/**
 * Best-effort coordinates from manifest attributes, for jars without pom.properties (built by Ant,
 * Gradle without the maven plugin, OSGi bundles). Group: Implementation-Vendor-Id, else the
 * Bundle-SymbolicName without its last dot segment, else Implementation-Vendor, else
 * Specification-Vendor. Artifact: Implementation-Title, Specification-Title, Bundle-Name. Version:
 * Implementation-Version, Specification-Version, Bundle-Version. These are heuristics: the result
 * is marked as coming from the manifest.
 */
export function coordinatesFromManifest(m: Map<string, string>): MavenCoordinates | undefined {
  const first = (...keys: string[]) => keys.map((k) => m.get(k)).find((v) => v !== undefined && v !== '');
  const symbolic = m.get('bundle-symbolicname')?.split(';')[0]?.trim();
  let groupId = m.get('implementation-vendor-id');
  if (!groupId && symbolic) {
    const dot = symbolic.lastIndexOf('.');
    groupId = dot > 0 ? symbolic.slice(0, dot) : symbolic;
  }
  groupId ||= first('implementation-vendor', 'specification-vendor');
  const artifactId = first('implementation-title', 'specification-title', 'bundle-name');
  const version = first('implementation-version', 'specification-version', 'bundle-version');
  if (!groupId || !artifactId || !version) return undefined;
  return { groupId: groupId.trim(), artifactId: artifactId.trim(), version: version.trim() };
}

/** `spring-core-5.3.4-SNAPSHOT.jar` → spring-core, 5.3.4-SNAPSHOT: the name Maven gives an artifact. */
export function coordinatesFromFileName(path: string): { artifactId: string; version: string } | undefined {
  const base = path.slice(path.lastIndexOf('/') + 1).replace(/\.(jar|war|ear)$/i, '');
  const m = /^(.+?)-(\d\S*)$/.exec(base);
  return m ? { artifactId: m[1]!, version: m[2]! } : undefined;
}

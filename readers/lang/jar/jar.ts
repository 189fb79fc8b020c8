/**
 * Java archives (jar, war, ear) → Maven artifacts, nested archives included.
 *
 *   app.jar
 *   ├── META-INF/MANIFEST.MF                       fallback identity (Implementation-*, Bundle-*)
 *   ├── META-INF/maven/<g>/<a>/pom.properties      one per artifact built or shaded into the jar
 *   │                                              (any entry named pom.properties counts)
 *   ├── META-INF/maven/<g>/<a>/pom.xml             licenses of that artifact
 *   ├── BOOT-INF/lib/*.jar  (Spring Boot, stored)  nested archives, read in place when stored,
 *   ├── WEB-INF/lib/*.jar   (war)                  inflated within the budget otherwise
 *   └── lib/*.jar, *.war    (ear, shaded…)
 *
 * Identity of an archive: every pom.properties in it is an artifact (a shaded jar carries its
 * dependencies' too). When none of them is the archive itself — the file name `artifact-version`
 * matches no pom.properties — the manifest's attributes give one more artifact (heuristic, marked
 * `source: manifest`). Nested archives are opened up to MAX_JAR_NESTING_DEPTH below the file; a
 * nested archive that fails is reported and its siblings are still read.
 */
import { XMLParser } from 'fast-xml-parser';
import {
  checkAborted,
  LimitExceededError,
  ScanError,
  type SerializedError,
  serializeError,
} from '../../../engine/errors.js';
import type { Limits } from '../../../engine/limits.js';
import { bufferAccess, type RandomAccess } from '../../bytes/random-access.js';
import {
  coordinatesFromFileName,
  coordinatesFromManifest,
  coordinatesFromPomProperties,
  type MavenCoordinates,
  parseManifest,
  parseProperties,
} from './manifest.js';
import { newZipBudget, ZipArchive as Zip, type ZipArchive, type ZipBudget, type ZipEntry } from './zip.js';

export interface JarArtifact extends MavenCoordinates {
  /** The archive it was found in: `/opt/app.jar`, `/opt/app.jar!/BOOT-INF/lib/x.jar`. */
  filePath: string;
  source: 'pom.properties' | 'manifest';
  /** Where in the archive: `META-INF/maven/g/a/pom.properties` or `META-INF/MANIFEST.MF`. */
  entry: string;
  licenses?: string[];
}

export interface JarResult {
  artifacts: JarArtifact[];
  errors: Array<{ path: string; error: SerializedError }>;
}

const ARCHIVE = /\.(jar|war|ear)$/i;
/**
 * maven-archiver writes META-INF/maven/<g>/<a>/pom.properties; other packagers (and hand-built
 * jars) put one elsewhere, and it still names the artifact: any entry with that base name counts.
 */
const POM_PROPERTIES = /(^|\/)pom\.properties$/;
const MANIFEST = /^META-INF\/MANIFEST\.MF$/i;
/** Separator between an archive and a path inside it, as java.net.JarURLConnection writes it. */
export const NESTED_SEPARATOR = '!/';

export function isJavaArchive(path: string): boolean {
  return ARCHIVE.test(path);
}

export async function parseJar(
  source: RandomAccess,
  path: string,
  limits: Limits,
  signal?: AbortSignal,
): Promise<JarResult> {
  const out: JarResult = { artifacts: [], errors: [] };
  const budget = newZipBudget(limits);
  await walkArchive(source, path, 0, limits, budget, out, signal);
  return out;
}

async function walkArchive(
  source: RandomAccess,
  path: string,
  depth: number,
  limits: Limits,
  budget: ZipBudget,
  out: JarResult,
  signal: AbortSignal | undefined,
): Promise<void> {
  const zip = await Zip.open(source, limits, budget);
  const textMax = limits.MAX_CONFIG_FILE_BYTES;
  const own: JarArtifact[] = [];
  let manifest: Map<string, string> | undefined;
  let manifestEntry: ZipEntry | undefined;
  const nested: ZipEntry[] = [];
  const entryError = (e: ZipEntry, err: unknown) => {
    if (err instanceof ScanError && err.code === 'aborted') throw err;
    out.errors.push({ path: `${path}${NESTED_SEPARATOR}${e.name}`, error: serializeError(err) });
  };
  for (const e of zip.entries) {
    checkAborted(signal);
    if (POM_PROPERTIES.test(e.name)) {
      try {
        const coords = coordinatesFromPomProperties(parseProperties(await readText(zip, e, textMax)));
        if (!coords) continue;
        const licenses = await pomLicenses(zip, e, textMax).catch((err) => {
          entryError(e, err);
          return undefined;
        });
        own.push({
          ...coords,
          filePath: path,
          source: 'pom.properties',
          entry: e.name,
          ...(licenses?.length ? { licenses } : {}),
        });
      } catch (err) {
        entryError(e, err);
      }
    } else if (MANIFEST.test(e.name) && !manifestEntry) {
      manifestEntry = e;
      try {
        manifest = parseManifest(await readText(zip, e, textMax));
      } catch (err) {
        entryError(e, err);
      }
    } else if (ARCHIVE.test(e.name) && !e.name.endsWith('/')) {
      nested.push(e);
    }
  }
  const fromName = coordinatesFromFileName(path);
  const describesItself = own.some(
    (a) => fromName && a.artifactId === fromName.artifactId && a.version === fromName.version,
  );
  if (!describesItself && manifest && manifestEntry) {
    const m = coordinatesFromManifest(manifest);
    if (
      m &&
      !own.some((a) => a.groupId === m.groupId && a.artifactId === m.artifactId && a.version === m.version)
    ) {
      own.push({ ...m, filePath: path, source: 'manifest', entry: manifestEntry.name });
    }
  }
  out.artifacts.push(...dedupe(own));
  for (const e of nested) {
    checkAborted(signal);
    const childPath = `${path}${NESTED_SEPARATOR}${e.name}`;
    if (depth + 1 > limits.MAX_JAR_NESTING_DEPTH) {
      entryError(
        e,
        new LimitExceededError(
          { format: 'jar', struct: `nested archive ${childPath}`, offset: e.centralOffset },
          'MAX_JAR_NESTING_DEPTH',
          depth + 1,
          limits.MAX_JAR_NESTING_DEPTH,
        ),
      );
      continue;
    }
    try {
      const child =
        (await zip.storedAccess(e, childPath)) ??
        bufferAccess(await zip.read(e, limits.MAX_ZIP_ENTRY_BYTES), childPath);
      await walkArchive(child, childPath, depth + 1, limits, budget, out, signal);
    } catch (err) {
      entryError(e, err);
    }
  }
}

async function readText(zip: ZipArchive, e: ZipEntry, max: number): Promise<string> {
  return (await zip.read(e, max)).toString('utf8');
}

const xml = new XMLParser({
  ignoreAttributes: true,
  processEntities: false,
  isArray: (n) => n === 'license',
});

/** `<licenses><license><name>` of the pom.xml beside a pom.properties, when there is one. */
async function pomLicenses(zip: ZipArchive, props: ZipEntry, max: number): Promise<string[] | undefined> {
  const pomName = props.name.replace(/pom\.properties$/, 'pom.xml');
  const pom = zip.entries.find((x) => x.name === pomName);
  if (!pom) return undefined;
  const doc = xml.parse(await readText(zip, pom, max)) as {
    project?: { licenses?: { license?: Array<{ name?: unknown }> } };
  };
  const names = (doc.project?.licenses?.license ?? [])
    .map((l) => (typeof l?.name === 'string' ? l.name.trim() : ''))
    .filter((n) => n !== '');
  return names;
}

function dedupe(list: JarArtifact[]): JarArtifact[] {
  const seen = new Set<string>();
  return list.filter((a) => {
    const k = `${a.groupId}:${a.artifactId}@${a.version}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

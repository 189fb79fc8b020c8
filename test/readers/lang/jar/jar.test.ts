/**
 * lang/jar against ../shared/fixtures/lang/jar/expected.json (trivy's jar parser test transcribed),
 * and against archives built here: a Spring Boot fat jar (stored BOOT-INF/lib jars), a war
 * (deflated WEB-INF/lib jars), an ear nesting a war, the manifest fallback, the nesting limit.
 *
 * Mapping: trivy's name is `groupId:artifactId` (ours too); its filePath joins nested archives with
 * '/', ours with '!/' (java.net.JarURLConnection's separator): compared after replacing '!/' by '/'.
 * trivy's "offline" flag selects its manifest heuristic without a Maven Central look-up: we never
 * look up, so every case runs the same way.
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS, type Limits } from '../../../../engine/limits.js';
import { bufferAccess } from '../../../../readers/bytes/random-access.js';
import { catalogJar, jarCataloger, parseJar } from '../../../../readers/lang/jar/index.js';
import { HAVE_SHARED, NO_SHARED_REASON, SHARED_FIXTURES } from '../../../helpers/paths.js';
import { buildZip, pomProperties } from '../../../helpers/zip-builder.js';

const dir = join(SHARED_FIXTURES, 'lang/jar');
const expected = existsSync(join(dir, 'expected.json'))
  ? (JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')) as {
      cases: Array<{
        file: string;
        case: string;
        want: Array<{ name: string; version: string; filePath: string; licenses?: string[] }>;
      }>;
    })
  : { cases: [] };
const limits: Limits = { ...DEFAULT_LIMITS };

describe.skipIf(!HAVE_SHARED)('readers/lang/jar: shared fixtures (trivy jar TestParse)', () => {
  if (!HAVE_SHARED) it.skip(NO_SHARED_REASON, () => {});
  it.each(expected.cases)('$case ($file)', async ({ file, want }) => {
    const bytes = readFileSync(join(dir, file));
    const res = await parseJar(bufferAccess(bytes, file), file, limits);
    expect(res.errors).toEqual([]);
    const got = res.artifacts
      .map((a) => ({
        name: `${a.groupId}:${a.artifactId}`,
        version: a.version,
        filePath: a.filePath.replaceAll('!/', '/'),
        ...(a.licenses ? { licenses: a.licenses } : {}),
      }))
      .sort((x, y) => (x.name < y.name ? -1 : x.name > y.name ? 1 : 0));
    expect(got).toEqual(want);
  });
});

const jar = (...entries: Parameters<typeof buildZip>[0]) => buildZip(entries);
const manifest = 'Manifest-Version: 1.0\r\nCreated-By: Maven JAR Plugin 3.3.0\r\n\r\n';

describe('readers/lang/jar: built archives', () => {
  const log4j = jar(
    { name: 'META-INF/MANIFEST.MF', data: manifest },
    {
      name: 'META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties',
      data: pomProperties('org.apache.logging.log4j', 'log4j-core', '2.14.1'),
    },
    { name: 'org/apache/logging/log4j/core/Logger.class', data: Buffer.alloc(4000, 0xca) },
  );
  const jackson = jar({
    name: 'META-INF/maven/com.fasterxml.jackson.core/jackson-databind/pom.properties',
    data: pomProperties('com.fasterxml.jackson.core', 'jackson-databind', '2.13.1'),
  });
  const app = (libMethod: 'store' | 'deflate', libDir: string) =>
    jar(
      { name: 'META-INF/MANIFEST.MF', data: `Manifest-Version: 1.0\r\nStart-Class: com.example.App\r\n\r\n` },
      {
        name: 'META-INF/maven/com.example/app/pom.properties',
        data: pomProperties('com.example', 'app', '1.0.0'),
      },
      { name: `${libDir}/log4j-core-2.14.1.jar`, data: log4j, method: libMethod },
      { name: `${libDir}/jackson-databind-2.13.1.jar`, data: jackson, method: libMethod },
    );

  it.each([
    {
      kind: 'Spring Boot fat jar, stored BOOT-INF/lib',
      file: '/opt/app-1.0.0.jar',
      bytes: app('store', 'BOOT-INF/lib'),
      lib: 'BOOT-INF/lib',
    },
    {
      kind: 'war, deflated WEB-INF/lib',
      file: '/srv/app-1.0.0.war',
      bytes: app('deflate', 'WEB-INF/lib'),
      lib: 'WEB-INF/lib',
    },
  ])('$kind: outer and nested artifacts with nested file paths', async ({ file, bytes, lib }) => {
    const res = await catalogJar(bufferAccess(bytes, file), file, { fs: undefined as never, limits });
    expect(res.errors).toEqual([]);
    expect(res.packages.map((p) => [p.name, p.version, p.purl, p.locations[0]!.path])).toEqual([
      ['com.example:app', '1.0.0', 'pkg:maven/com.example/app@1.0.0', file],
      [
        'org.apache.logging.log4j:log4j-core',
        '2.14.1',
        'pkg:maven/org.apache.logging.log4j/log4j-core@2.14.1',
        `${file}!/${lib}/log4j-core-2.14.1.jar`,
      ],
      [
        'com.fasterxml.jackson.core:jackson-databind',
        '2.13.1',
        'pkg:maven/com.fasterxml.jackson.core/jackson-databind@2.13.1',
        `${file}!/${lib}/jackson-databind-2.13.1.jar`,
      ],
    ]);
    expect(res.packages.every((p) => p.type === 'maven' && p.foundBy === 'lang/jar')).toBe(true);
  });

  it('ear → war → jar: three levels, each path nested', async () => {
    const war = app('deflate', 'WEB-INF/lib');
    const ear = jar({ name: 'web.war', data: war, method: 'store' });
    const res = await parseJar(bufferAccess(ear, '/x/suite.ear'), '/x/suite.ear', limits);
    expect(res.artifacts.map((a) => a.filePath)).toEqual([
      '/x/suite.ear!/web.war',
      '/x/suite.ear!/web.war!/WEB-INF/lib/log4j-core-2.14.1.jar',
      '/x/suite.ear!/web.war!/WEB-INF/lib/jackson-databind-2.13.1.jar',
    ]);
  });

  it.each([
    { depthLimit: 0, found: ['a'], errors: 1 },
    { depthLimit: 1, found: ['a', 'b'], errors: 1 },
    { depthLimit: 2, found: ['a', 'b', 'c'], errors: 0 },
  ])('MAX_JAR_NESTING_DEPTH=$depthLimit: $found, $errors error(s)', async ({ depthLimit, found, errors }) => {
    const c = jar({ name: 'META-INF/maven/t/c/pom.properties', data: pomProperties('t', 'c', '3') });
    const b = jar(
      { name: 'META-INF/maven/t/b/pom.properties', data: pomProperties('t', 'b', '2') },
      { name: 'lib/c.jar', data: c },
    );
    const a = jar(
      { name: 'META-INF/maven/t/a/pom.properties', data: pomProperties('t', 'a', '1') },
      { name: 'lib/b.jar', data: b },
    );
    const res = await parseJar(bufferAccess(a, '/a.jar'), '/a.jar', {
      ...limits,
      MAX_JAR_NESTING_DEPTH: depthLimit,
    });
    expect(res.artifacts.map((x) => x.artifactId)).toEqual(found);
    expect(res.errors.length).toBe(errors);
    if (errors) expect(res.errors[0]!.error.code).toBe('limit-exceeded');
  });

  it.each([
    {
      case: 'Implementation-* attributes',
      mf: 'Manifest-Version: 1.0\nImplementation-Title: commons-foo\nImplementation-Version: 1.2\nImplementation-Vendor-Id: org.example\n\nName: x/\nImplementation-Version: 9\n',
      want: ['org.example', 'commons-foo', '1.2'],
    },
    {
      case: 'OSGi Bundle-SymbolicName (group = all but the last segment), continuation line',
      mf: 'Manifest-Version: 1.0\nBundle-SymbolicName: com.fasterxml.jackson.core.jackson-\n databind;singleton:=true\nBundle-Name: jackson-databind\nBundle-Version: 2.9.8\n',
      want: ['com.fasterxml.jackson.core', 'jackson-databind', '2.9.8'],
    },
    {
      case: 'no version: nothing',
      mf: 'Manifest-Version: 1.0\nImplementation-Title: x\nImplementation-Vendor: y\n',
      want: undefined,
    },
  ])('manifest fallback: $case', async ({ mf, want }) => {
    const bytes = jar({ name: 'META-INF/MANIFEST.MF', data: mf });
    const res = await parseJar(bufferAccess(bytes, '/lib/foo.jar'), '/lib/foo.jar', limits);
    expect(res.artifacts.map((a) => [a.groupId, a.artifactId, a.version])).toEqual(want ? [want] : []);
    if (want) expect(res.artifacts[0]!.source).toBe('manifest');
  });

  it('a fan-out of nested archives stops at MAX_JARS_PER_FILE, reported as errors', async () => {
    // Every level holds 40 stored copies of the level below: 1 + 40 + 40² + 40³ archives if
    // followed naively. Overlapping entries (all naming one nested archive's bytes) would cost the
    // same reads without the file size: the count limit and the byte budget (which charges central
    // directories too) bound both.
    let inner = jar({ name: 'META-INF/maven/t/leaf/pom.properties', data: pomProperties('t', 'leaf', '1') });
    for (let level = 0; level < 3; level++) {
      const entries = Array.from({ length: 40 }, (_, i) => ({
        name: `lib/n${i}.jar`,
        data: inner,
        method: 'store' as const,
      }));
      inner = jar(...entries);
    }
    const res = await parseJar(bufferAccess(inner, '/fan.jar'), '/fan.jar', {
      ...limits,
      MAX_JARS_PER_FILE: 500,
    });
    expect(res.errors.length).toBeGreaterThan(0);
    expect(res.errors.every((e) => e.error.code === 'limit-exceeded')).toBe(true);
    // No more archives than the limit were opened (each holds one artifact at the leaves).
    expect(res.artifacts.length).toBeLessThanOrEqual(500);
  });

  it('pom.properties naming the archive itself wins over the manifest', async () => {
    const bytes = jar(
      {
        name: 'META-INF/MANIFEST.MF',
        data: 'Implementation-Title: Other\nImplementation-Version: 7\nImplementation-Vendor: v\n',
      },
      { name: 'META-INF/maven/g/foo/pom.properties', data: pomProperties('g', 'foo', '1.0') },
    );
    const res = await parseJar(bufferAccess(bytes, '/foo-1.0.jar'), '/foo-1.0.jar', limits);
    expect(res.artifacts.map((a) => a.artifactId)).toEqual(['foo']);
  });

  it('a corrupt nested jar is reported; its siblings and the outer jar still count', async () => {
    const bytes = jar(
      { name: 'META-INF/maven/g/outer/pom.properties', data: pomProperties('g', 'outer', '1') },
      { name: 'lib/broken.jar', data: 'not a zip at all', method: 'store' },
      {
        name: 'lib/ok.jar',
        data: jar({ name: 'META-INF/maven/g/ok/pom.properties', data: pomProperties('g', 'ok', '2') }),
      },
    );
    const res = await parseJar(bufferAccess(bytes, '/o.jar'), '/o.jar', limits);
    expect(res.artifacts.map((a) => a.artifactId)).toEqual(['outer', 'ok']);
    expect(res.errors).toHaveLength(1);
    expect(res.errors[0]!.path).toBe('/o.jar!/lib/broken.jar');
    expect(res.errors[0]!.error.code).toBe('corrupt');
  });

  it('the cataloger wants .jar/.war/.ear regular files only', () => {
    const w = (p: string, type: 'file' | 'dir' = 'file') => jarCataloger.wants!(p, { type, size: 10 });
    expect([w('/a.jar'), w('/a.WAR'), w('/a.ear'), w('/a.jar', 'dir'), w('/a.zip'), w('/jar')]).toEqual([
      true,
      true,
      true,
      false,
      false,
      false,
    ]);
  });
});

/**
 * readers/lang-walk.ts with the ranged catalogers (lang/jar, lang/go-binary, lang/rust-binary): a
 * tree holding a real Go binary (built by test/fixtures/lang/golang/build.sh), a Spring Boot jar
 * and a cargo-auditable ELF is walked once; each file is handed over as a RandomAccess over its
 * inode, so the walk reads headers, a section or a zip directory — not the files — and the
 * whole-file byte budget does not apply to them.
 */
import { chmodSync, copyFileSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_LIMITS } from '../../engine/limits.js';
import { LANG_CATALOGERS } from '../../readers/catalogers.js';
import { runLangCatalogers } from '../../readers/lang-walk.js';
import { dirFileSystem } from '../helpers/dir-fs.js';
import { buildElf } from '../helpers/elf-builder.js';
import { goBinaries } from '../helpers/go-binaries.js';
import { buildZip, pomProperties } from '../helpers/zip-builder.js';

const built = goBinaries();
const root = mkdtempSync(join(tmpdir(), 'snapscan-ranged-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function put(path: string, data: Buffer, mode = 0o644): number {
  const full = join(root, path);
  mkdirSync(join(full, '..'), { recursive: true });
  writeFileSync(full, data);
  chmodSync(full, mode);
  return data.length;
}

describe.skipIf(typeof built !== 'string')('readers/lang-walk: ranged catalogers', () => {
  if (typeof built !== 'string') it.skip(built!.reason, () => {});

  it('one walk finds Go, Maven and cargo packages, reading a small part of each file', async () => {
    mkdirSync(join(root, 'usr/local/bin'), { recursive: true });
    copyFileSync(join(built as string, 'app-ldflags'), join(root, 'usr/local/bin/app'));
    chmodSync(join(root, 'usr/local/bin/app'), 0o755);
    const goSize = statSync(join(root, 'usr/local/bin/app')).size;
    const log4j = buildZip([
      {
        name: 'META-INF/maven/org.apache.logging.log4j/log4j-core/pom.properties',
        data: pomProperties('org.apache.logging.log4j', 'log4j-core', '2.14.1'),
      },
      { name: 'org/apache/logging/log4j/core/Big.class', data: Buffer.alloc(2 << 20, 7), method: 'store' },
    ]);
    const jarSize = put(
      'opt/app/app-1.0.0.jar',
      buildZip([
        {
          name: 'META-INF/maven/com.example/app/pom.properties',
          data: pomProperties('com.example', 'app', '1.0.0'),
        },
        { name: 'BOOT-INF/lib/log4j-core-2.14.1.jar', data: log4j, method: 'store' },
      ]),
    );
    const doc = {
      packages: [{ name: 'tool', version: '0.2.0', source: 'local', dependencies: [], root: true }],
    };
    const elfSize = put(
      'usr/bin/tool',
      buildElf([{ name: '.dep-v0', data: deflateSync(JSON.stringify(doc)) }]),
      0o755,
    );
    put('usr/share/doc/readme', Buffer.from('not wanted'));

    // A whole-file budget far below the files' sizes: ranged catalogers do not draw on it.
    const limits = { ...DEFAULT_LIMITS, MAX_LANG_TOTAL_BYTES: 1024 };
    const res = await runLangCatalogers(LANG_CATALOGERS, { fs: dirFileSystem(root), limits });
    expect(res.errors).toEqual([]);
    const got = res.packages.map((p) => [p.foundBy, p.name, p.version, p.locations[0]!.path]);
    expect(got).toEqual(
      expect.arrayContaining([
        ['lang/go-binary', 'example.com/app', 'v1.4.2', '/usr/local/bin/app'],
        ['lang/go-binary', 'golang.org/x/text', 'v0.3.5', '/usr/local/bin/app'],
        ['lang/jar', 'com.example:app', '1.0.0', '/opt/app/app-1.0.0.jar'],
        [
          'lang/jar',
          'org.apache.logging.log4j:log4j-core',
          '2.14.1',
          '/opt/app/app-1.0.0.jar!/BOOT-INF/lib/log4j-core-2.14.1.jar',
        ],
        ['lang/rust-binary', 'tool', '0.2.0', '/usr/bin/tool'],
      ]),
    );
    expect(res.filesRead.sort()).toEqual(['/opt/app/app-1.0.0.jar', '/usr/bin/tool', '/usr/local/bin/app']);
    const total = goSize + jarSize + elfSize;
    console.log(`ranged walk: ${res.walk.bytesRead} of ${total} bytes read`);
    expect(res.walk.bytesRead).toBeLessThan(total / 10);
  });

  it('a jar a deb installed: it and the jars inside it are attributed to the deb (dpkg .list)', async () => {
    const inner = buildZip([
      {
        name: 'META-INF/maven/org.yaml/snakeyaml/pom.properties',
        data: pomProperties('org.yaml', 'snakeyaml', '1.33'),
      },
    ]);
    put(
      'usr/share/java/tool.jar',
      buildZip([
        {
          name: 'META-INF/maven/org.example/tool/pom.properties',
          data: pomProperties('org.example', 'tool', '2.0'),
        },
        { name: 'lib/snakeyaml-1.33.jar', data: inner, method: 'store' },
      ]),
    );
    put(
      'var/lib/dpkg/info/libtool-java.list',
      Buffer.from('/.\n/usr\n/usr/share\n/usr/share/java\n/usr/share/java/tool.jar\n'),
    );
    const deb = {
      foundBy: 'pkgdb/dpkg',
      type: 'deb',
      name: 'libtool-java',
      version: '2.0-1',
      purl: 'pkg:deb/debian/libtool-java@2.0-1?arch=all',
      locations: [{ path: '/var/lib/dpkg/status' }],
    };
    const res = await runLangCatalogers(
      LANG_CATALOGERS,
      { fs: dirFileSystem(root), limits: DEFAULT_LIMITS },
      {},
      [deb],
    );
    const jars = res.packages
      .filter((p) => p.locations[0]!.path.startsWith('/usr/share/java/'))
      .map((p) => [p.name, p.locations[0]!.path, p.ownedBy]);
    expect(jars.sort()).toEqual([
      ['org.example:tool', '/usr/share/java/tool.jar', deb.purl],
      ['org.yaml:snakeyaml', '/usr/share/java/tool.jar!/lib/snakeyaml-1.33.jar', deb.purl],
    ]);
    // The app jar no deb lists stays unowned.
    expect(
      res.packages.filter((p) => p.locations[0]!.path.startsWith('/opt/app/')).every((p) => !p.ownedBy),
    ).toBe(true);
  });
});

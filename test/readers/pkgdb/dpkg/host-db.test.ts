/**
 * The test machine's own dpkg database (a real Debian install, hundreds of packages) against the
 * native dpkg-query reading the same admindir: every on-disk package, version, architecture,
 * source name and source version must agree, and each package's file list must hold exactly the
 * paths of its info/*.md5sums (plus its conffiles). Skipped where there is no dpkg.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import type { DpkgFileRecord } from '../../../../readers/pkgdb/dpkg/index.js';
import { dpkgCataloger } from '../../../../readers/pkgdb/dpkg/index.js';
import { runCataloger } from './helpers.js';

const hasHostDb = (() => {
  if (!existsSync('/var/lib/dpkg/status')) return false;
  try {
    execFileSync('dpkg-query', ['--version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!hasHostDb)('readers/pkgdb/dpkg on the host database vs dpkg-query', () => {
  it('agrees with dpkg-query -W on every installed package', async () => {
    const out = execFileSync(
      'dpkg-query',
      [
        '-W',
        '-f',
        // biome-ignore lint/suspicious/noTemplateCurlyInString: dpkg-query's own format syntax
        '${db:Status-Abbrev}\t${Package}\t${Version}\t${Architecture}\t${source:Package}\t${source:Version}\n',
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    const want = out
      .split('\n')
      .filter((l) => /^.[iUFWT]/.test(l))
      .map((l) => l.split('\t').slice(1).join('\t'))
      .sort();
    const t0 = performance.now();
    const run = await runCataloger(dpkgCataloger, '/');
    const ms = performance.now() - t0;
    const got = run.packages
      .map((p) => [p.name, p.version, p.arch, p.sourceName, p.sourceVersion].join('\t'))
      .sort();
    expect(want.length).toBeGreaterThan(50);
    expect(got).toEqual(want);
    expect(run.errors).toEqual([]);
    // The host's own os-release decides the purl namespace and distro qualifier.
    if (run.os) {
      const distro = `${run.os.id}-${run.os.versionId ?? run.os.name}`;
      expect(run.packages[0]!.purl).toContain(`pkg:deb/${run.os.id}/`);
      expect(decodeURIComponent(run.packages[0]!.purl)).toContain(`distro=${distro}`);
    }
    console.log(
      `host dpkg db (${run.os?.prettyName ?? 'unknown OS'}): ${got.length} packages, catalogued with enrichment in ${ms.toFixed(0)} ms`,
    );

    // Files: the md5sums of a handful of packages, read independently.
    let checked = 0;
    for (const p of run.packages.slice(0, 40)) {
      const stem = [`${p.name}:${p.arch}`, p.name].find((s) => existsSync(`/var/lib/dpkg/info/${s}.md5sums`));
      if (!stem) continue;
      const md5 = readFileSync(`/var/lib/dpkg/info/${stem}.md5sums`, 'utf8')
        .split('\n')
        .filter((l) => l.trim() !== '')
        .map((l) => `/${l.slice(34)}`);
      const files = (p.metadata as { files: DpkgFileRecord[] }).files;
      const nonConf = files.filter((f) => !f.isConfigFile).map((f) => f.path);
      expect(new Set(nonConf)).toEqual(
        new Set(md5.filter((x) => !files.find((f) => f.path === x)?.isConfigFile)),
      );
      checked++;
    }
    expect(checked).toBeGreaterThan(10);
  });
});

/**
 * CBL-Mariner / Azure Linux distroless images carry no rpmdb, only a text manifest,
 * `/var/lib/rpmmanifest/container-manifest-2`, one package per line, ten TAB-separated fields as
 * written by `rpm -qa --qf` in the image build:
 *
 *   NAME  VERSION-RELEASE  INSTALLTIME  BUILDTIME  VENDOR  EPOCH|(none)  SIZE  ARCH  EPOCHNUM  SOURCERPM
 *
 * A malformed line is reported and skipped; the other lines are still read.
 */
import { CorruptError, checkAborted, LimitExceededError, serializeError } from '../../../engine/errors.js';
import type { Package } from '../../../engine/model/package.js';
import type { CatalogContext, Cataloger, CatalogFile, CatalogResult } from '../../cataloger.js';
import { evr, parseSourceRpm, rpmPurl } from './package.js';
import { rpmType } from './type.js';

export const MANIFEST_FORMAT = 'rpm/manifest';

export interface RpmManifestEntry {
  name: string;
  version: string;
  release: string;
  epoch?: number;
  installTime?: number;
  buildTime?: number;
  vendor: string;
  size?: number;
  arch: string;
  sourceRpm: string;
}

/** A line's ten fields, once their count is checked. */
type ManifestFields = [string, string, string, string, string, string, string, string, string, string];

function int(s: string): number | undefined {
  return /^\d{1,15}$/.test(s) ? Number(s) : undefined;
}

/** One manifest line → entry; throws CorruptError naming the line. */
export function parseRpmManifestLine(line: string, lineNo: number, offset = 0): RpmManifestEntry {
  const loc = (field: string) => ({ format: MANIFEST_FORMAT, struct: `line ${lineNo}`, offset, field });
  const f = line.split('\t');
  if (f.length !== 10) throw new CorruptError(loc('fields'), f.length, '!=', 10);
  const [name, vr, installTime, buildTime, vendor, epochField, size, arch, epochNum, sourceRpm] =
    f as ManifestFields;
  if (!name) throw new CorruptError(loc('NAME'), 'empty', 'is not', 'a name');
  const dash = vr.lastIndexOf('-');
  if (dash <= 0 || dash === vr.length - 1 || vr.indexOf('-') !== dash) {
    throw new CorruptError(loc('VERSION-RELEASE'), vr, 'is not', 'version-release');
  }
  const e: RpmManifestEntry = {
    name,
    version: vr.slice(0, dash),
    release: vr.slice(dash + 1),
    vendor,
    arch,
    sourceRpm,
  };
  if (epochField !== '(none)') {
    const ep = int(epochField);
    if (ep === undefined) throw new CorruptError(loc('EPOCH'), epochField, 'is not', 'an integer or (none)');
    // EPOCHNUM repeats EPOCH (0 when unset): a disagreement means the line is not what we think.
    if (int(epochNum) !== ep) throw new CorruptError(loc('EPOCHNUM'), epochNum, '!=', ep);
    e.epoch = ep;
  }
  const it = int(installTime);
  if (it !== undefined) e.installTime = it;
  const bt = int(buildTime);
  if (bt !== undefined) e.buildTime = bt;
  const sz = int(size);
  if (sz !== undefined) e.size = sz;
  return e;
}

export const rpmManifestCataloger: Cataloger = {
  id: 'pkgdb/rpm-manifest',
  displayName: 'rpm container manifest (CBL-Mariner distroless)',
  kind: 'os',
  version: 1,
  specUrls: ['https://github.com/microsoft/azurelinux/blob/2.0/toolkit/docs/how_it_works/5_misc.md'],
  paths: ['/var/lib/rpmmanifest/container-manifest-2'],
  async catalog(file: CatalogFile, ctx: CatalogContext): Promise<CatalogResult> {
    const out: CatalogResult = { packages: [], errors: [] };
    const text = file.bytes;
    let pos = 0;
    let lineNo = 0;
    while (pos < text.length) {
      checkAborted(ctx.signal);
      lineNo++;
      let nl = text.indexOf(0x0a, pos);
      if (nl < 0) nl = text.length;
      const start = pos;
      pos = nl + 1;
      try {
        if (nl - start > ctx.limits.MAX_LINE_BYTES) {
          throw new LimitExceededError(
            { format: MANIFEST_FORMAT, struct: `line ${lineNo}`, offset: start },
            'MAX_LINE_BYTES',
            nl - start,
            ctx.limits.MAX_LINE_BYTES,
          );
        }
        const line = text.toString('utf8', start, nl).replace(/\r$/, '');
        if (line.trim() === '') continue;
        const e = parseRpmManifestLine(line, lineNo, start);
        out.packages.push(manifestEntryToPackage(e, file.path, ctx));
      } catch (err) {
        if (err instanceof CorruptError || err instanceof LimitExceededError) {
          out.errors.push({ path: file.path, error: serializeError(err) });
        } else throw err;
      }
    }
    return out;
  },
};

export function manifestEntryToPackage(
  e: RpmManifestEntry,
  path: string,
  ctx: Pick<CatalogContext, 'os'>,
): Package {
  const pkg: Package = {
    foundBy: rpmManifestCataloger.id,
    type: rpmType.id,
    name: e.name,
    version: evr(e.epoch, e.version, e.release),
    upstreamVersion: e.version,
    release: e.release,
    arch: e.arch,
    purl: rpmPurl(e, ctx.os, e.vendor),
    locations: [{ path }],
    metadata: { sourceRpm: e.sourceRpm, size: e.size, installTime: e.installTime, buildTime: e.buildTime },
  };
  if (e.epoch !== undefined) pkg.epoch = e.epoch;
  if (e.vendor) pkg.vendor = e.vendor;
  const src = parseSourceRpm(e.sourceRpm);
  if (src) {
    pkg.sourceName = src.name;
    pkg.sourceVersion = evr(e.epoch, src.version, src.release);
  }
  return pkg;
}

/**
 * One scan: block source → partitions → filesystems → OS detection → catalogers → inventory.
 * Only a failed block source or partition table aborts a scan; everything below is per volume and
 * per file, and failures there are kept as issues beside the partial result.
 */

import { CountingSource } from '../readers/block/counting.js';
import type { BlockSource } from '../readers/block/types.js';
import type { Cataloger } from '../readers/cataloger.js';
import { LANG_CATALOGERS, osCatalogers } from '../readers/catalogers.js';
import { runOsCatalogers } from '../readers/dispatch.js';
import { probeFileSystem } from '../readers/fs/formats.js';
import { PathFileSystem } from '../readers/fs/path-fs.js';
import { type LangWalkOptions, runLangCatalogers } from '../readers/lang-walk.js';
import { detectOs } from '../readers/os/index.js';
import { allErrors, allWarnings, listVolumes, readPartitions } from '../readers/partition/probe.js';
import type { Partition } from '../readers/partition/types.js';
import { checkAborted, ScanError, serializeError } from './errors.js';
import {
  noFilesystemReason,
  overallStatus,
  reasonFromIssue,
  stateOf,
  volumeKind,
} from './inventory/outcome.js';
import type { Inventory, ResourceRef, VolumeReport } from './inventory/types.js';
import { INVENTORY_SCHEMA_VERSION } from './inventory/types.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import type { Package } from './model/package.js';
import type { OutcomeReason, ScanIssue } from './model/scan-status.js';
import { TOOL } from './version.js';

export type PackageKind = 'os' | 'lang';

export interface ScanOptions {
  resource: ResourceRef;
  /** Which kinds of packages to catalog (default: every kind snapscan knows). */
  packages?: readonly PackageKind[];
  catalogers?: readonly Cataloger[];
  limits?: Limits;
  signal?: AbortSignal;
  /** Injected clock for deterministic output. */
  now?: () => Date;
  /** Progress callback: a short phrase per step. */
  onProgress?: (msg: string) => void;
  /** Extra figures merged into `stats` at the end (EBS counters). */
  extraStats?: () => Record<string, number>;
  /**
   * Read per-package details beyond the package database (dpkg: installed-file lists and
   * copyright licenses). Off by default: on EBS every extra small file costs block fetches.
   */
  details?: boolean;
  /** The language walk: directories skipped (default /proc, /sys, /dev, /run, /tmp, caches…), concurrency. */
  langWalk?: LangWalkOptions;
  /** Label of the volume source when a resource has several (EBS volume id). */
  sourceLabel?: string;
}

export function volumeId(p: Partition): string {
  if (p.scheme === 'none') return 'disk';
  if (p.scheme === 'lvm2') return `lvm:${p.name ?? p.number}`;
  return `p${p.number}`;
}

function comparePackages(a: Package, b: Package): number {
  const ka = `${a.name}\0${a.version}\0${a.arch ?? ''}\0${a.locations[0]?.filesystem ?? ''}\0${a.locations[0]?.path ?? ''}`;
  const kb = `${b.name}\0${b.version}\0${b.arch ?? ''}\0${b.locations[0]?.filesystem ?? ''}\0${b.locations[0]?.path ?? ''}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/** Scans one disk-like block source. The source is wrapped in a CountingSource for the figures. */
export async function scanBlockSource(root: BlockSource, opts: ScanOptions): Promise<Inventory> {
  const started = performance.now();
  const now = opts.now ?? (() => new Date());
  const limits = opts.limits ?? { ...DEFAULT_LIMITS };
  const kinds = new Set(opts.packages ?? ['os', 'lang']);
  const catalogers = (
    opts.catalogers ?? [...osCatalogers({ details: opts.details ?? false }), ...LANG_CATALOGERS]
  ).filter((c) => kinds.has(c.kind));
  const langCatalogers = catalogers.filter((c) => c.kind === 'lang');
  const progress = opts.onProgress ?? (() => {});
  const source = root instanceof CountingSource ? root : new CountingSource(root);
  const issues: ScanIssue[] = [];
  const volumes: VolumeReport[] = [];
  const packages: Package[] = [];
  /** The language walks' figures, summed over volumes (entries, wanted files, executables…). */
  let langFigures: Record<string, number> | undefined;

  progress('reading partition table');
  let parts: Partition[] = [];
  const diskReasons: OutcomeReason[] = [];
  let tableFailed = false;
  try {
    const table = await readPartitions(source, { signal: opts.signal, limits });
    parts = listVolumes(table);
    for (const w of allWarnings(table)) {
      issues.push({
        stage: 'partition',
        location: source.id,
        error: { name: 'Warning', code: 'warning', message: w },
      });
    }
    // Dropped entries and unreadable LVM metadata: volumes may be missing.
    for (const e of allErrors(table)) {
      const issue: ScanIssue = {
        stage: 'partition',
        location: `${source.id}: ${e.where}`,
        error: serializeError(e.error),
      };
      issues.push(issue);
      diskReasons.push(reasonFromIssue(issue));
    }
  } catch (err) {
    if (err instanceof ScanError && err.code === 'aborted') throw err;
    tableFailed = true;
    const issue: ScanIssue = { stage: 'partition', location: source.id, error: serializeError(err) };
    issues.push(issue);
    diskReasons.push(reasonFromIssue(issue));
  }

  const osCatalogersRun = catalogers.some((c) => c.kind === 'os' && c.paths);
  for (const part of parts) {
    checkAborted(opts.signal);
    const vid = volumeId(part);
    const report: VolumeReport = {
      id: vid,
      ...(opts.sourceLabel ? { source: opts.sourceLabel } : {}),
      partition: {
        scheme: part.scheme,
        number: part.number,
        start: part.start.toString(),
        size: part.size.toString(),
        type: part.type,
        ...(part.name !== undefined ? { name: part.name } : {}),
        ...(part.uuid !== undefined ? { uuid: part.uuid } : {}),
      },
      packageCount: 0,
      status: { state: 'complete', reasons: [] },
    };
    volumes.push(report);
    const volumeReasons = report.status.reasons;
    const issueHere = (issue: ScanIssue) => {
      issues.push(issue);
      volumeReasons.push(reasonFromIssue(issue, vid));
    };
    progress(`probing ${vid}`);
    let fs: PathFileSystem;
    try {
      const format = await probeFileSystem(part.source);
      if (!format) {
        const kind = volumeKind(report.partition);
        if (kind !== 'no-filesystem-expected') {
          report.status.state = 'failed';
          volumeReasons.push(noFilesystemReason(part, vid, kind));
        }
        continue;
      }
      const store = await format.open(part.source, { signal: opts.signal });
      fs = new PathFileSystem(store, limits);
      report.filesystem = { type: fs.type, uuid: fs.uuid, label: fs.label };
    } catch (err) {
      if (err instanceof ScanError && err.code === 'aborted') throw err;
      report.status.state = 'failed';
      issueHere({ stage: 'filesystem', location: vid, error: serializeError(err) });
      continue;
    }
    const where = `${vid}:${fs.type}`;
    progress(`detecting OS on ${where}`);
    try {
      const os = await detectOs(fs, {
        limits,
        signal: opts.signal,
        onError: (path, err) =>
          issueHere({ stage: 'os', location: `${where}:${path}`, error: serializeError(err) }),
      });
      if (os) report.os = os;
    } catch (err) {
      if (err instanceof ScanError && err.code === 'aborted') throw err;
      issueHere({ stage: 'os', location: where, error: serializeError(err) });
    }
    progress(`reading package databases on ${where}`);
    const res = await runOsCatalogers(catalogers, { fs, os: report.os, limits, signal: opts.signal });
    for (const e of res.errors)
      issueHere({ stage: e.cataloger, location: `${where}:${e.path}`, error: e.error });
    for (const p of res.packages) {
      for (const loc of p.locations) loc.filesystem = opts.sourceLabel ? `${opts.sourceLabel}:${vid}` : vid;
      packages.push(p);
    }
    report.packageCount = res.packages.length;
    if (langCatalogers.length > 0) {
      // One bounded walk shared by every language cataloger; then packages an OS package installed
      // are attributed to it (matched through the distro's advisories, not twice).
      progress(`walking ${where} for language packages`);
      const ctx = { fs, os: report.os, limits, signal: opts.signal };
      // Ownership is resolved inside the walk, before any file is read: executables an OS package
      // owns are not read at all.
      const lr = await runLangCatalogers(langCatalogers, ctx, opts.langWalk, res.packages);
      langFigures ??= {};
      for (const [k, v] of Object.entries(lr.walk)) langFigures[k] = (langFigures[k] ?? 0) + v;
      for (const e of lr.errors)
        issueHere({ stage: e.cataloger, location: `${where}:${e.path}`, error: e.error });
      for (const p of lr.packages) {
        for (const loc of p.locations) loc.filesystem = opts.sourceLabel ? `${opts.sourceLabel}:${vid}` : vid;
        packages.push(p);
      }
      report.packageCount += lr.packages.length;
    }
    // An OS without any package database is not a clean machine: something hid the database.
    if (
      report.os &&
      osCatalogersRun &&
      res.filesRead.length === 0 &&
      res.packages.length === 0 &&
      // An error on the way to a database is already the reason (corrupt-structure, read-error).
      res.errors.length === 0
    ) {
      volumeReasons.push({
        code: 'no-package-database',
        volume: vid,
        message: `${report.os.family} ${report.os.name} identified but no package database (dpkg, rpm, apk) was found`,
      });
    }
    report.status.state = stateOf(volumeReasons);
  }

  packages.sort(comparePackages);
  const st = source.stats();
  return {
    schemaVersion: INVENTORY_SCHEMA_VERSION,
    tool: TOOL,
    resource: opts.resource,
    scannedAt: now().toISOString(),
    ...(volumes.find((v) => v.os)?.os ? { os: volumes.find((v) => v.os)!.os } : {}),
    volumes,
    packages,
    status: overallStatus(volumes, diskReasons, issues, { tableFailed, disk: source.id }),
    stats: {
      reads: st.reads,
      bytesRead: st.bytesRead,
      distinctBlocks: st.distinctBlocks,
      wallMs: Math.round(performance.now() - started),
      ...(opts.extraStats ? { ebs: opts.extraStats() } : {}),
      ...(langFigures ? { lang: langFigures } : {}),
    },
  };
}

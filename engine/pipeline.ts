/**
 * One scan: block source → partitions → filesystems → OS detection → catalogers → inventory.
 * Only a failed block source or partition table aborts a scan; everything below is per volume and
 * per file, and failures there are kept as issues beside the partial result.
 */

import { CountingSource } from '../readers/block/counting.js';
import type { BlockSource } from '../readers/block/types.js';
import type { Cataloger } from '../readers/cataloger.js';
import { osCatalogers } from '../readers/catalogers.js';
import { runOsCatalogers } from '../readers/dispatch.js';
import { probeFileSystem } from '../readers/fs/formats.js';
import { PathFileSystem } from '../readers/fs/path-fs.js';
import { detectOs } from '../readers/os/index.js';
import { allWarnings, listVolumes, readPartitions } from '../readers/partition/probe.js';
import type { Partition } from '../readers/partition/types.js';
import { checkAborted, ScanError, serializeError } from './errors.js';
import type { Inventory, ResourceRef, VolumeReport } from './inventory/types.js';
import { INVENTORY_SCHEMA_VERSION } from './inventory/types.js';
import { DEFAULT_LIMITS, type Limits } from './limits.js';
import type { Package } from './model/package.js';
import type { ScanIssue } from './model/scan-status.js';
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
  const catalogers = (opts.catalogers ?? osCatalogers({ details: opts.details ?? false })).filter((c) =>
    kinds.has(c.kind),
  );
  const progress = opts.onProgress ?? (() => {});
  const source = root instanceof CountingSource ? root : new CountingSource(root);
  const issues: ScanIssue[] = [];
  const volumes: VolumeReport[] = [];
  const packages: Package[] = [];
  let failed = false;

  progress('reading partition table');
  let parts: Partition[] = [];
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
  } catch (err) {
    if (err instanceof ScanError && err.code === 'aborted') throw err;
    failed = true;
    issues.push({ stage: 'partition', location: source.id, error: serializeError(err) });
  }

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
    };
    volumes.push(report);
    progress(`probing ${vid}`);
    let fs: PathFileSystem;
    try {
      const format = await probeFileSystem(part.source);
      if (!format) continue;
      const store = await format.open(part.source, { signal: opts.signal });
      fs = new PathFileSystem(store, limits);
      report.filesystem = { type: fs.type, uuid: fs.uuid, label: fs.label };
    } catch (err) {
      if (err instanceof ScanError && err.code === 'aborted') throw err;
      issues.push({ stage: 'filesystem', location: vid, error: serializeError(err) });
      continue;
    }
    const where = `${vid}:${fs.type}`;
    progress(`detecting OS on ${where}`);
    try {
      const os = await detectOs(fs, {
        limits,
        signal: opts.signal,
        onError: (path, err) =>
          issues.push({ stage: 'os', location: `${where}:${path}`, error: serializeError(err) }),
      });
      if (os) report.os = os;
    } catch (err) {
      if (err instanceof ScanError && err.code === 'aborted') throw err;
      issues.push({ stage: 'os', location: where, error: serializeError(err) });
    }
    progress(`reading package databases on ${where}`);
    const res = await runOsCatalogers(catalogers, { fs, os: report.os, limits, signal: opts.signal });
    for (const e of res.errors)
      issues.push({ stage: e.cataloger, location: `${where}:${e.path}`, error: e.error });
    for (const p of res.packages) {
      for (const loc of p.locations) loc.filesystem = opts.sourceLabel ? `${opts.sourceLabel}:${vid}` : vid;
      packages.push(p);
    }
    report.packageCount = res.packages.length;
  }

  packages.sort(comparePackages);
  const st = source.stats();
  const hardIssues = issues.filter((i) => i.error.code !== 'warning');
  return {
    schemaVersion: INVENTORY_SCHEMA_VERSION,
    tool: TOOL,
    resource: opts.resource,
    scannedAt: now().toISOString(),
    ...(volumes.find((v) => v.os)?.os ? { os: volumes.find((v) => v.os)!.os } : {}),
    volumes,
    packages,
    status: { state: failed ? 'failed' : hardIssues.length > 0 ? 'partial' : 'ok', issues },
    stats: {
      reads: st.reads,
      bytesRead: st.bytesRead,
      distinctBlocks: st.distinctBlocks,
      wallMs: Math.round(performance.now() - started),
      ...(opts.extraStats ? { ebs: opts.extraStats() } : {}),
    },
  };
}

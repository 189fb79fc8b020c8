/**
 * One scan, start to end, shared by `snapscan scan`, the scheduler and (later) the queue worker:
 *
 *   targets ─► inventories (runScans: worker threads, instance snapshots) ─► matches (this thread, or
 *   the match pool for large inventories) ─► Inspector-shaped findings ─► export run (optional sink)
 *
 * The vulnerability store is opened before anything is read, so a missing database fails before any
 * snapshot is created. Callers do argument handling and rendering only.
 */
import { randomUUID } from 'node:crypto';
import { MatchPool } from '../../workers/pool.js';
import { exportRun, type Manifest } from '../export/index.js';
import type { ResourceResult } from '../export/sbom-input.js';
import type { ExportSink } from '../export/sink.js';
import type { Inventory } from '../inventory/types.js';
import { TOOL } from '../version.js';
import { ageWarning, VulnStore } from '../vulndb/index.js';
import {
  findingResource,
  findingsFor,
  LOCAL_ACCOUNT,
  matchInventory,
  matchInventoryPooled,
  POOL_MIN_PACKAGES,
} from './findings.js';
import type { ScanReport } from './render.js';
import { runScans, type ScanRequest, type TargetResult } from './run.js';

export interface ImageTarget {
  /** The raw image file to read (a .gz already unpacked to the cache). */
  path: string;
  /** The name results carry (what the user typed); default `path`. */
  label?: string;
}

export interface ScanTargetsOptions extends Omit<ScanRequest, 'images' | 'runId'> {
  images?: ImageTarget[];
  /** Vulnerability database file; without it only inventories are produced (no findings). */
  db?: string;
  /** Warn (onWarning) when the vulnerability data is older than this many days (default 7). */
  maxDbAgeDays?: number;
  /** Export sink: findings, SBOMs and the manifest (last), under `exportPrefix` when given. */
  sink?: ExportSink;
  exportPrefix?: string;
  runId?: string;
  onWarning?: (msg: string) => void;
}

export interface ScanTargetsResult {
  runId: string;
  startedAt: Date;
  results: TargetResult[];
  reports: ScanReport[];
  manifest?: Manifest;
}

/** Matches inventories against an open store: large inventories go to a pool of match workers. */
export async function findingsForInventories(
  inventories: readonly Inventory[],
  store: VulnStore,
  clock: () => Date,
): Promise<Array<{ findings: ScanReport['findings']; unmatched: number }>> {
  const total = inventories.reduce((n, inv) => n + inv.packages.length, 0);
  const pool =
    total >= POOL_MIN_PACKAGES ? new MatchPool({ kind: 'sqlite', path: store.info().path }) : undefined;
  const out: Array<{ findings: ScanReport['findings']; unmatched: number }> = [];
  try {
    for (const inv of inventories) {
      const m = pool ? await matchInventoryPooled(inv, pool) : matchInventory(inv, store);
      out.push({ findings: findingsFor(inv, m.matches, store, clock), unmatched: m.skipped.length });
    }
  } finally {
    await pool?.close();
  }
  return out;
}

/** What the export writes for one scanned resource. */
export function resourceResult(report: ScanReport & { inventory: Inventory }): ResourceResult {
  const inv = report.inventory;
  return {
    awsAccountId: inv.resource.accountId ?? LOCAL_ACCOUNT,
    resource: findingResource(inv),
    ...(inv.os ? { os: inv.os } : {}),
    packages: inv.packages,
    findings: report.findings,
  };
}

export async function scanTargets(o: ScanTargetsOptions): Promise<ScanTargetsResult> {
  const store = o.db !== undefined ? VulnStore.openReadOnly(o.db) : undefined;
  try {
    if (store) {
      const warn = ageWarning(store, o.maxDbAgeDays ?? 7);
      if (warn) o.onWarning?.(warn);
    }
    const runId = o.runId ?? randomUUID();
    const startedAt = o.now?.() ?? new Date();
    const images = o.images ?? [];
    const results = await runScans({ ...o, images: images.map((i) => i.path), runId });
    // Name image results by what the user typed, not the cache path.
    for (const r of results) {
      const img = images.find((i) => i.path === r.target);
      if (img?.label !== undefined) {
        r.target = img.label;
        if (r.inventory) r.inventory.resource.id = img.label;
      }
    }
    const reports: ScanReport[] = results.map((r) => {
      const report: ScanReport = { target: r.target, findings: [], unmatched: 0 };
      if (r.inventory) report.inventory = r.inventory;
      if (r.snapshots) report.snapshots = r.snapshots;
      if (r.error) report.error = { code: r.error.code, message: r.error.message };
      return report;
    });
    if (store) {
      const scanned = reports.filter((r) => r.inventory);
      const matched = await findingsForInventories(
        scanned.map((r) => r.inventory!),
        store,
        () => startedAt,
      );
      scanned.forEach((r, i) => {
        r.findings = matched[i]!.findings;
        r.unmatched = matched[i]!.unmatched;
      });
    }
    const out: ScanTargetsResult = { runId, startedAt, results, reports };
    if (o.sink) {
      out.manifest = await exportRun(
        o.sink,
        reports.filter((r): r is ScanReport & { inventory: Inventory } => !!r.inventory).map(resourceResult),
        { runId, startedAt, tool: TOOL, ...(o.exportPrefix ? { prefix: o.exportPrefix } : {}) },
      );
    }
    return out;
  } finally {
    store?.close();
  }
}

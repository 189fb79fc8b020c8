/**
 * Exports one run: for each resource, the findings (NDJSON, CSV) and SBOMs (CycloneDX, SPDX), then the
 * manifest listing every object with its record count, size and SHA-256. The manifest is written last
 * and only after every object succeeded, so a run folder without manifest.json is incomplete by
 * definition (schemas/manifest.schema.json).
 */

import { sortFindings } from '../findings/build.js';
import { FINDING_SCHEMA_VERSION } from '../findings/finding.js';
import { cyclonedxJson } from './cyclonedx/index.js';
import { findingsCsv, findingsNdjson } from './findings-json/index.js';
import {
  contentTypeOf,
  EXPORT_LAYOUT_VERSION,
  type ExportKind,
  manifestKey,
  objectKey,
  type RunKeyInput,
  runDate,
} from './layout.js';
import type { ResourceResult, ToolInfo } from './sbom-input.js';
import type { ExportSink } from './sink.js';
import { spdxJson } from './spdx/index.js';

export const MANIFEST_SCHEMA_VERSION = '1.0';

export interface ManifestObject {
  key: string;
  kind: ExportKind;
  awsAccountId: string;
  resourceId: string;
  /** Findings in a findings object; components (packages) in an SBOM. */
  count: number;
  bytes: number;
  sha256: string;
  contentType: string;
}

export interface Manifest {
  schemaVersion: string;
  layoutVersion: string;
  findingSchemaVersion: string;
  runId: string;
  dt: string;
  startedAt: string;
  completedAt: string;
  tool: ToolInfo;
  totals: { resources: number; findings: number; packages: number; objects: number };
  objects: ManifestObject[];
}

export interface ExportRunOptions extends RunKeyInput {
  tool: ToolInfo;
  /** Formats to write; all by default. */
  formats?: ExportKind[];
  /** Coverage records (scheduler runs), one NDJSON object per account, before the manifest. */
  coverage?: Array<{ awsAccountId: string; records: readonly unknown[] }>;
  clock?: () => Date;
}

const ALL_KINDS: ExportKind[] = ['findings-ndjson', 'findings-csv', 'sbom-cyclonedx', 'sbom-spdx'];
const SBOM_KINDS: ReadonlySet<ExportKind> = new Set(['sbom-cyclonedx', 'sbom-spdx']);

export async function exportRun(
  sink: ExportSink,
  results: ResourceResult[],
  opts: ExportRunOptions,
): Promise<Manifest> {
  const clock = opts.clock ?? (() => new Date());
  const kinds = ALL_KINDS.filter((k) => (opts.formats ?? ALL_KINDS).includes(k));
  const objects: ManifestObject[] = [];
  const ordered = [...results].sort((a, b) =>
    `${a.awsAccountId}\u0000${a.resource.id}` < `${b.awsAccountId}\u0000${b.resource.id}` ? -1 : 1,
  );
  let findingsTotal = 0;
  let packagesTotal = 0;
  for (const r of ordered) {
    const findings = sortFindings(r.findings);
    findingsTotal += findings.length;
    packagesTotal += r.packages.length;
    const sbomCtx = { runId: opts.runId, createdAt: opts.startedAt, tool: opts.tool };
    for (const kind of kinds) {
      // A resource known only by its findings (terminated, never read) gets no SBOM: an empty SBOM
      // would claim "nothing installed".
      if (r.noSbom && SBOM_KINDS.has(kind)) continue;
      let body: Buffer;
      let count: number;
      switch (kind) {
        case 'findings-ndjson':
          body = findingsNdjson(findings);
          count = findings.length;
          break;
        case 'findings-csv':
          body = findingsCsv(findings);
          count = findings.length;
          break;
        case 'sbom-cyclonedx':
          body = Buffer.from(cyclonedxJson({ ...r, findings }, sbomCtx), 'utf8');
          count = r.packages.length;
          break;
        case 'sbom-spdx':
          body = Buffer.from(spdxJson({ ...r, findings }, sbomCtx), 'utf8');
          count = r.packages.length;
          break;
        default:
          continue;
      }
      const key = objectKey(opts, kind, r.awsAccountId, r.resource.id);
      const contentType = contentTypeOf(kind);
      const put = await sink.put(key, body, contentType);
      objects.push({
        key,
        kind,
        awsAccountId: r.awsAccountId,
        resourceId: r.resource.id,
        count,
        bytes: put.bytes,
        sha256: put.sha256,
        contentType,
      });
    }
  }
  for (const c of opts.coverage ?? []) {
    const kind = 'coverage-ndjson' as const;
    const key = objectKey(opts, kind, c.awsAccountId, 'coverage');
    const body = Buffer.from(c.records.map((r) => `${JSON.stringify(r)}\n`).join(''), 'utf8');
    const put = await sink.put(key, body, contentTypeOf(kind));
    objects.push({
      key,
      kind,
      awsAccountId: c.awsAccountId,
      resourceId: 'coverage',
      count: c.records.length,
      bytes: put.bytes,
      sha256: put.sha256,
      contentType: contentTypeOf(kind),
    });
  }
  const manifest: Manifest = {
    schemaVersion: MANIFEST_SCHEMA_VERSION,
    layoutVersion: EXPORT_LAYOUT_VERSION,
    findingSchemaVersion: FINDING_SCHEMA_VERSION,
    runId: opts.runId,
    dt: runDate(opts.startedAt),
    startedAt: opts.startedAt.toISOString(),
    completedAt: clock().toISOString(),
    tool: opts.tool,
    totals: {
      resources: ordered.length,
      findings: findingsTotal,
      packages: packagesTotal,
      objects: objects.length,
    },
    objects,
  };
  await sink.put(
    manifestKey(opts),
    Buffer.from(`${JSON.stringify(manifest, null, 2)}\n`, 'utf8'),
    'application/json',
  );
  return manifest;
}

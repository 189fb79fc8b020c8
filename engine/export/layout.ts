/**
 * Object layout of an export run, shared by every sink (local folder, S3). Consumers depend on it:
 * bump EXPORT_LAYOUT_VERSION on any change.
 *
 *   [PREFIX/]findings/dt=YYYY-MM-DD/run=RUN_ID/ACCOUNT/RESOURCE.ndjson     one finding a line
 *   [PREFIX/]findings/dt=YYYY-MM-DD/run=RUN_ID/ACCOUNT/RESOURCE.csv        same findings, one row each
 *   [PREFIX/]sbom/dt=YYYY-MM-DD/run=RUN_ID/ACCOUNT/RESOURCE.cdx.json       CycloneDX 1.5 + vulnerabilities
 *   [PREFIX/]sbom/dt=YYYY-MM-DD/run=RUN_ID/ACCOUNT/RESOURCE.spdx.json      SPDX 2.3
 *   [PREFIX/]coverage/dt=YYYY-MM-DD/run=RUN_ID/ACCOUNT/coverage.ndjson     scheduler runs: one coverage record
 *                                                                          per instance (Inspector field names)
 *   [PREFIX/]findings/dt=YYYY-MM-DD/run=RUN_ID/manifest.json               written last: every object with
 *                                                                          count and SHA-256; a run without
 *                                                                          it is incomplete
 *
 * Every path segment is made safe (resource ids can be local image paths): characters outside
 * [A-Za-z0-9._-] become `_`, and a segment that had to change gets a short hash of the original so two
 * resources never collide on one key. `dt` is the UTC date the run started.
 */
import { createHash } from 'node:crypto';
import { ScanError } from '../errors.js';

export const EXPORT_LAYOUT_VERSION = '1';

export type ExportKind =
  | 'findings-ndjson'
  | 'findings-csv'
  | 'sbom-cyclonedx'
  | 'sbom-spdx'
  | 'coverage-ndjson';

const SUFFIX: Record<
  ExportKind,
  { top: 'findings' | 'sbom' | 'coverage'; ext: string; contentType: string }
> = {
  'findings-ndjson': { top: 'findings', ext: '.ndjson', contentType: 'application/x-ndjson' },
  'findings-csv': { top: 'findings', ext: '.csv', contentType: 'text/csv; charset=utf-8' },
  'sbom-cyclonedx': { top: 'sbom', ext: '.cdx.json', contentType: 'application/vnd.cyclonedx+json' },
  'sbom-spdx': { top: 'sbom', ext: '.spdx.json', contentType: 'application/spdx+json' },
  'coverage-ndjson': { top: 'coverage', ext: '.ndjson', contentType: 'application/x-ndjson' },
};

export function contentTypeOf(kind: ExportKind): string {
  return SUFFIX[kind].contentType;
}

/** A path segment that cannot escape its folder or collide with another after cleaning. */
export function safeSegment(raw: string): string {
  const cleaned = raw.replace(/[^A-Za-z0-9._-]/g, '_').slice(0, 120);
  if (cleaned === raw && raw !== '' && raw !== '.' && raw !== '..') return raw;
  const h = createHash('sha256').update(raw).digest('hex').slice(0, 8);
  return `${cleaned.replace(/^\.+/, '_') || 'resource'}-${h}`;
}

export function runDate(startedAt: Date): string {
  return startedAt.toISOString().slice(0, 10);
}

function checkRunId(runId: string): void {
  if (!/^[A-Za-z0-9._-]{1,128}$/.test(runId) || runId === '.' || runId === '..') {
    throw new ScanError(
      'invalid-argument',
      `export: run id ${JSON.stringify(runId)} must match [A-Za-z0-9._-]{1,128}`,
    );
  }
}

function join(...parts: string[]): string {
  return parts.filter((p) => p !== '').join('/');
}

export interface RunKeyInput {
  prefix?: string;
  runId: string;
  startedAt: Date;
}

function cleanPrefix(prefix: string | undefined): string {
  return (prefix ?? '').replace(/^\/+|\/+$/g, '');
}

export function objectKey(run: RunKeyInput, kind: ExportKind, account: string, resourceId: string): string {
  checkRunId(run.runId);
  const s = SUFFIX[kind];
  return join(
    cleanPrefix(run.prefix),
    s.top,
    `dt=${runDate(run.startedAt)}`,
    `run=${run.runId}`,
    safeSegment(account),
    `${safeSegment(resourceId)}${s.ext}`,
  );
}

export function manifestKey(run: RunKeyInput): string {
  checkRunId(run.runId);
  return join(
    cleanPrefix(run.prefix),
    'findings',
    `dt=${runDate(run.startedAt)}`,
    `run=${run.runId}`,
    'manifest.json',
  );
}

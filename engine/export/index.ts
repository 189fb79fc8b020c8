/**
 * Export sinks and formats. Layout (layout.ts) is shared by every sink; run.ts writes one run and its
 * manifest (last). Formats: findings-json/ (NDJSON, CSV), cyclonedx/, spdx/. Sinks: sink.ts
 * (LocalFolderSink, the default), s3/ (S3Sink).
 */
export { cyclonedxJson } from './cyclonedx/index.js';
export { findingsCsv, findingsNdjson } from './findings-json/index.js';
export type { ExportKind } from './layout.js';
export { EXPORT_LAYOUT_VERSION, manifestKey, objectKey, safeSegment } from './layout.js';
export type { Manifest, ManifestObject } from './run.js';
export { exportRun, MANIFEST_SCHEMA_VERSION } from './run.js';
export { ExportIncompleteError, S3Sink } from './s3/index.js';
export type { ResourceResult, SbomContext, ToolInfo } from './sbom-input.js';
export type { ExportSink } from './sink.js';
export { LocalFolderSink } from './sink.js';
export { spdxJson } from './spdx/index.js';

export const id = 'export';
export const displayName = 'Findings and SBOM export (local folder, S3)';
export const specUrls = ['https://cyclonedx.org/docs/1.5/json/', 'https://spdx.github.io/spdx-spec/v2.3/'];
export const version = 1;

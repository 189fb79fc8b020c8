/**
 * Vulnerability store: SQLite schema (schema.ts), read/write store (store.ts), feed ingest (ingest/),
 * feed download (update.ts). See readme.md for the data model and the normalisation of each feed.
 */

export { detectFile, INGESTERS, importPath } from './ingest/index.js';
export { SCHEMA_VERSION } from './schema.js';
export type { CvssRecord, EpssEntry, KevEntry, SourceInfo, StoreInfo } from './store.js';
export { ageWarning, defaultDbPath, VulnStore, withWritableStore } from './store.js';

export const id = 'vulndb';
export const displayName = 'snapscan vulnerability store (SQLite)';
export const specUrls = [
  'https://ossf.github.io/osv-schema/',
  'https://www.sqlite.org/pragma.html#pragma_user_version',
];
export const version = 1;

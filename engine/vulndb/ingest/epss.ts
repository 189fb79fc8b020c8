/**
 * FIRST EPSS daily scores (https://www.first.org/epss/data_stats).
 *
 *   #model_version:v2023.03.01,score_date:2025-02-20T00:00:00+0000     (comment line, optional)
 *   cve,epss,percentile                                                  (header, optional)
 *   CVE-1999-0001,0.00383,0.73075
 *
 * The daily file is served gzipped; gunzip happens before this parser (engine/vulndb/ingest/read.ts).
 * Also accepted: the `CVE;epss;percentile` layout without header that API-derived mirrors keep.
 * Rows whose CVE id or numbers are malformed are skipped and counted; a score or percentile outside
 * [0, 1] is malformed.
 */
import type { EpssEntry } from '../store.js';

export const id = 'epss';
export const displayName = 'FIRST EPSS scores (CSV, gzip or plain)';
export const specUrls = ['https://www.first.org/epss/data_stats', 'https://www.first.org/epss/api'];
export const version = 1;

const CVE_RE = /^CVE-\d{4}-\d{4,}$/;

export interface EpssFile {
  modelVersion?: string;
  scoreDate?: string;
  entries: EpssEntry[];
  skipped: number;
}

export function parseEpssCsv(text: string): EpssFile {
  const out: EpssFile = { entries: [], skipped: 0 };
  let start = 0;
  const len = text.length;
  while (start < len) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = len;
    const line = text.slice(start, end).replace(/\r$/, '').trim();
    start = end + 1;
    if (line === '') continue;
    if (line.startsWith('#')) {
      for (const part of line.slice(1).split(',')) {
        const i = part.indexOf(':');
        if (i < 0) continue;
        const k = part.slice(0, i).trim();
        const v = part.slice(i + 1).trim();
        if (k === 'model_version') out.modelVersion = v;
        if (k === 'score_date') out.scoreDate = v;
      }
      continue;
    }
    const cols = line.split(line.includes(';') ? ';' : ',');
    const cve = cols[0]?.trim() ?? '';
    if (cve.toLowerCase() === 'cve') continue; // header
    const score = Number(cols[1]);
    const percentile = Number(cols[2]);
    if (
      !CVE_RE.test(cve) ||
      cols.length < 3 ||
      !Number.isFinite(score) ||
      !Number.isFinite(percentile) ||
      score < 0 ||
      score > 1 ||
      percentile < 0 ||
      percentile > 1
    ) {
      out.skipped++;
      continue;
    }
    const e: EpssEntry = { cve, score, percentile };
    if (out.modelVersion) e.modelVersion = out.modelVersion;
    if (out.scoreDate) e.scoreDate = out.scoreDate;
    out.entries.push(e);
  }
  return out;
}

/** First line looks like EPSS: the model comment, the header, or a `CVE-…,0.1,0.2` row. */
export function sniffEpss(head: string): boolean {
  const first = head.split('\n', 1)[0]?.trim() ?? '';
  return (
    first.startsWith('#model_version') ||
    /^cve[,;]epss[,;]percentile/i.test(first) ||
    /^CVE-\d{4}-\d{4,}[,;][\d.eE-]+[,;][\d.eE-]+$/.test(first)
  );
}

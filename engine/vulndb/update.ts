/**
 * `snapscan db update`: downloads the configured public feeds into the store.
 *
 * - Each feed is fetched with If-None-Match / If-Modified-Since from its previous ETag / Last-Modified
 *   (kept in the `sources` table); a 304 keeps that feed's records and only refreshes its check time.
 * - A 200 body is streamed to a temp file (byte cap, progress callback), then ingested in one
 *   transaction that replaces what the same feed wrote before.
 * - Everything happens on a temp copy of the database that replaces the file by rename at the end
 *   (store.ts withWritableStore): a failed update leaves the old database as it was. With `keepGoing`
 *   a failing feed keeps its old records and the others are still swapped in.
 * - Amazon Linux has no single feed URL: the mirror list names the repository, whose
 *   repodata/repomd.xml names the updateinfo file (yum repository metadata).
 *
 * Feed URLs are configurable (`mirror` replaces the scheme+host of every default URL, `urls` replaces
 * single feeds), which is how the tests point it at a local HTTP server.
 */
import { createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { XMLParser } from 'fast-xml-parser';
import { LimitExceededError, SourceError } from '../errors.js';
import type { AmazonRelease } from './ingest/alas.js';
import { groupOf, ingestFile } from './ingest/index.js';
import { type FeedKind, newReport } from './ingest/types.js';
import { VULNDB_LIMITS } from './limits.js';
import { type SourceInfo, withWritableStore } from './store.js';

export interface FeedSpec {
  /** Source name in the store: `osv:Go`, `debian-tracker`, `alas:2`, `epss`, `kev`. */
  name: string;
  kind: FeedKind;
  url: string;
  /** Amazon Linux feeds: the URL is a yum mirror list; the updateinfo is found through repomd.xml. */
  alasRelease?: AmazonRelease;
}

/** OSV ecosystems fetched by default (per-ecosystem all.zip); distro ones are matched only for their distro. */
export const DEFAULT_OSV_ECOSYSTEMS = [
  'AlmaLinux',
  'Alpine',
  'Red Hat',
  'Rocky Linux',
  'SUSE',
  'openSUSE',
  'Ubuntu',
  'Go',
  'npm',
  'PyPI',
  'Maven',
  'RubyGems',
  'crates.io',
  'NuGet',
  'Packagist',
];

export const OSV_BASE = 'https://osv-vulnerabilities.storage.googleapis.com';

export const ALAS_MIRROR_LISTS: Record<AmazonRelease, string> = {
  '1': 'https://repo.us-east-1.amazonaws.com/2018.03/updates/x86_64/mirror.list',
  '2': 'https://cdn.amazonlinux.com/2/core/latest/x86_64/mirror.list',
  '2022': 'https://cdn.amazonlinux.com/al2022/core/mirrors/latest/x86_64/mirror.list',
  '2023': 'https://cdn.amazonlinux.com/al2023/core/mirrors/latest/x86_64/mirror.list',
};

export function allFeeds(): FeedSpec[] {
  const feeds: FeedSpec[] = DEFAULT_OSV_ECOSYSTEMS.map((eco) => ({
    name: `osv:${eco}`,
    kind: 'osv-zip',
    url: `${OSV_BASE}/${encodeURIComponent(eco)}/all.zip`,
  }));
  feeds.push({
    name: 'debian-tracker',
    kind: 'debian-tracker',
    url: 'https://security-tracker.debian.org/tracker/data/json',
  });
  for (const rel of Object.keys(ALAS_MIRROR_LISTS) as AmazonRelease[]) {
    feeds.push({
      name: `alas:${rel}`,
      kind: 'alas-updateinfo',
      url: ALAS_MIRROR_LISTS[rel],
      alasRelease: rel,
    });
  }
  feeds.push({
    name: 'epss',
    kind: 'epss',
    url: 'https://epss.empiricalsecurity.com/epss_scores-current.csv.gz',
  });
  feeds.push({
    name: 'kev',
    kind: 'kev',
    url: 'https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json',
  });
  return feeds;
}

/** Feeds `db update` fetches when none are named: every OSV default, Debian, AL2 and AL2023, EPSS, KEV. */
export const DEFAULT_FEED_SELECTORS = ['osv', 'debian-tracker', 'alas:2', 'alas:2023', 'epss', 'kev'];

/**
 * Picks feeds by selector: an exact name (`osv:Go`, `alas:1`), a group (`osv`, `alas` = every release),
 * `debian` as a short name for `debian-tracker`. Unknown selectors are an error naming them.
 */
export function selectFeeds(selectors: string[], feeds: FeedSpec[] = allFeeds()): FeedSpec[] {
  const out: FeedSpec[] = [];
  for (const raw of selectors) {
    const sel = raw === 'debian' ? 'debian-tracker' : raw;
    let hits = feeds.filter((f) => f.name === sel || f.name.startsWith(`${sel}:`));
    if (hits.length === 0 && sel.startsWith('osv:')) {
      const eco = sel.slice(4);
      hits = [{ name: sel, kind: 'osv-zip', url: `${OSV_BASE}/${encodeURIComponent(eco)}/all.zip` }];
    }
    if (hits.length === 0)
      throw new RangeError(
        `db update: unknown feed "${raw}" (known: ${feeds.map((f) => f.name).join(', ')})`,
      );
    for (const h of hits) if (!out.some((o) => o.name === h.name)) out.push(h);
  }
  return out;
}

/** Rewrites every feed URL onto `mirror` (scheme+host[+path prefix]), keeping path and query. */
export function withMirror(feeds: FeedSpec[], mirror: string): FeedSpec[] {
  const base = mirror.replace(/\/+$/, '');
  return feeds.map((f) => {
    const u = new URL(f.url);
    return { ...f, url: `${base}${u.pathname}${u.search}` };
  });
}

export interface UpdateProgress {
  feed: string;
  bytes: number;
  total?: number;
  done: boolean;
}

export interface UpdateOptions {
  fetchImpl?: typeof fetch;
  progress?: (p: UpdateProgress) => void;
  log?: (line: string) => void;
  keepGoing?: boolean;
  clock?: () => Date;
  /** Start from an empty database instead of a copy of the current one. */
  fresh?: boolean;
}

export interface FeedResult {
  feed: string;
  url: string;
  status: 'updated' | 'not-modified' | 'failed';
  source?: SourceInfo;
  error?: string;
  bytes?: number;
}

const USER_AGENT = 'snapscan-vulndb/1 (+https://github.com/snapscan)';

async function get(url: string, headers: Record<string, string>, fetchImpl: typeof fetch): Promise<Response> {
  let res: Response;
  try {
    res = await fetchImpl(url, { headers: { 'user-agent': USER_AGENT, ...headers }, redirect: 'follow' });
  } catch (err) {
    throw new SourceError(`db update: GET ${url}: ${(err as Error).message}`, { cause: err });
  }
  if (res.status !== 200 && res.status !== 304) {
    await res.body?.cancel();
    throw new SourceError(`db update: GET ${url}: HTTP ${res.status}`);
  }
  return res;
}

async function getText(url: string, fetchImpl: typeof fetch, max = 8 * 1024 * 1024): Promise<string> {
  const res = await get(url, {}, fetchImpl);
  const buf = Buffer.from(await res.arrayBuffer());
  if (buf.length > max) {
    throw new LimitExceededError(
      { format: 'http', struct: 'body', offset: 0, field: url },
      'MAX_METADATA_BYTES',
      buf.length,
      max,
    );
  }
  return buf.toString('utf8');
}

/** mirror.list → repository base → repomd.xml → the updateinfo location. */
export async function resolveUpdateinfoUrl(mirrorListUrl: string, fetchImpl: typeof fetch): Promise<string> {
  const list = await getText(mirrorListUrl, fetchImpl);
  const base = list
    .split('\n')
    .map((l) => l.trim())
    .find((l) => /^https?:\/\//.test(l));
  if (!base) throw new SourceError(`db update: ${mirrorListUrl}: no repository URL in the mirror list`);
  const repoBase = base.replace(/\/+$/, '');
  const repomdUrl = `${repoBase}/repodata/repomd.xml`;
  const xml = await getText(repomdUrl, fetchImpl);
  const doc = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    processEntities: false,
    isArray: (n) => n === 'data',
  }).parse(xml) as {
    repomd?: { data?: Array<{ type?: string; location?: { href?: string } }> };
  };
  const href = doc.repomd?.data?.find((d) => d.type === 'updateinfo')?.location?.href;
  if (!href) throw new SourceError(`db update: ${repomdUrl}: no updateinfo in repomd.xml`);
  return new URL(href, `${repoBase}/`).href;
}

/** Streams a 200 response body to `dest`, capped, reporting progress. Returns bytes written. */
async function download(
  res: Response,
  dest: string,
  feed: string,
  progress?: (p: UpdateProgress) => void,
): Promise<number> {
  const len = Number(res.headers.get('content-length'));
  const total = Number.isFinite(len) && len > 0 ? len : undefined;
  if (total !== undefined && total > VULNDB_LIMITS.MAX_DOWNLOAD_BYTES) {
    throw new LimitExceededError(
      { format: 'http', struct: 'body', offset: 0, field: feed },
      'MAX_DOWNLOAD_BYTES',
      total,
      VULNDB_LIMITS.MAX_DOWNLOAD_BYTES,
    );
  }
  if (!res.body) throw new SourceError(`db update: ${feed}: empty body`);
  let bytes = 0;
  let last = 0;
  const source = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream<Uint8Array>);
  source.on('data', (chunk: Buffer) => {
    bytes += chunk.length;
    if (bytes > VULNDB_LIMITS.MAX_DOWNLOAD_BYTES) {
      source.destroy(
        new LimitExceededError(
          { format: 'http', struct: 'body', offset: 0, field: feed },
          'MAX_DOWNLOAD_BYTES',
          bytes,
          VULNDB_LIMITS.MAX_DOWNLOAD_BYTES,
        ),
      );
      return;
    }
    const now = Date.now();
    if (progress && now - last > 250) {
      last = now;
      progress({ feed, bytes, ...(total !== undefined ? { total } : {}), done: false });
    }
  });
  await pipeline(source, createWriteStream(dest));
  progress?.({ feed, bytes, ...(total !== undefined ? { total } : {}), done: true });
  return bytes;
}

/** Runs the update of `feeds` into the database at `dbPath` (atomic swap). */
export async function updateFeeds(
  dbPath: string,
  feeds: FeedSpec[],
  opts: UpdateOptions = {},
): Promise<FeedResult[]> {
  const fetchImpl = opts.fetchImpl ?? fetch;
  const work = mkdtempSync(join(tmpdir(), 'snapscan-feeds-'));
  try {
    return await withWritableStore(
      dbPath,
      async (w) => {
        const results: FeedResult[] = [];
        for (const feed of feeds) {
          try {
            const url = feed.alasRelease ? await resolveUpdateinfoUrl(feed.url, fetchImpl) : feed.url;
            const prev = w.source(feed.name);
            const headers: Record<string, string> = {};
            // Conditional headers only when the previous fetch was of the same URL.
            if (prev && prev.location === url) {
              if (prev.etag) headers['if-none-match'] = prev.etag;
              if (prev.lastModified) headers['if-modified-since'] = prev.lastModified;
            }
            const res = await get(url, headers, fetchImpl);
            if (res.status === 304) {
              await res.body?.cancel();
              w.touchSource(feed.name);
              opts.log?.(`${feed.name}: not modified`);
              results.push({ feed: feed.name, url, status: 'not-modified' });
              continue;
            }
            const file = join(
              work,
              `${feed.name.replace(/[^A-Za-z0-9._-]/g, '_')}${url.endsWith('.zip') ? '.zip' : ''}`,
            );
            const bytes = await download(res, file, feed.name, opts.progress);
            const report = newReport(feed.kind, url);
            const etag = res.headers.get('etag') ?? undefined;
            const lastModified = res.headers.get('last-modified') ?? undefined;
            const source = await w.replaceSource(
              {
                name: feed.name,
                kind: groupOf(feed.kind),
                location: url,
                ...(etag ? { etag } : {}),
                ...(lastModified ? { lastModified } : {}),
              },
              (sw) =>
                ingestFile(
                  sw,
                  file,
                  feed.kind,
                  report,
                  feed.alasRelease ? { alasRelease: feed.alasRelease } : {},
                ),
            );
            rmSync(file, { force: true });
            opts.log?.(
              `${feed.name}: ${source.records} records, ${source.affected} affected entries${report.skipped ? `, ${report.skipped} skipped` : ''}`,
            );
            results.push({ feed: feed.name, url, status: 'updated', source, bytes });
          } catch (err) {
            if (!opts.keepGoing) throw err;
            const message = err instanceof Error ? err.message : String(err);
            opts.log?.(`${feed.name}: FAILED: ${message} (keeping its previous records)`);
            results.push({ feed: feed.name, url: feed.url, status: 'failed', error: message });
          }
        }
        return results;
      },
      { ...(opts.clock ? { clock: opts.clock } : {}), ...(opts.fresh ? { fresh: true } : {}) },
    );
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

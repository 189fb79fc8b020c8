import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run as dbCli } from '../../../engine/cli/commands/db.js';
import { VulnStore } from '../../../engine/vulndb/store.js';
import { allFeeds, selectFeeds, updateFeeds, withMirror } from '../../../engine/vulndb/update.js';
import { HAVE_SHARED, SHARED_VULNDATA } from '../../helpers/paths.js';
import { buildUpdateinfo, buildZip } from './builders.js';

const V = SHARED_VULNDATA;

interface Served {
  body: Buffer;
  type: string;
  /** Conditional mechanism the route supports. */
  cond: 'etag' | 'last-modified' | 'none';
}

let server: Server;
let base: string;
let tmp: string;
const routes = new Map<string, Served>();
const hits: Array<{ path: string; status: number }> = [];
let failPath: string | undefined;
const LAST_MODIFIED = 'Mon, 25 Aug 2025 17:04:19 GMT';

function filesUnder(dir: string, re: RegExp): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...filesUnder(p, re));
    else if (re.test(e.name)) out.push(p);
  }
  return out.sort();
}

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'vulndb-update-'));
  if (!HAVE_SHARED) return;
  const goFiles = filesUnder(join(V, 'osv/Go'), /\.json$/);
  routes.set('/Go/all.zip', {
    body: buildZip(goFiles.map((f) => ({ name: f.slice(f.lastIndexOf('/') + 1), data: readFileSync(f) }))),
    type: 'application/zip',
    cond: 'etag',
  });
  routes.set('/tracker/data/json', {
    body: readFileSync(join(V, 'native/debian-security-tracker/security-tracker-json-sample/debian.json')),
    type: 'application/json',
    cond: 'etag',
  });
  const al2 = JSON.parse(
    readFileSync(join(V, 'native/amazon-linux/vuln-list/amazon/2/ALAS2-2021-1699.json'), 'utf8'),
  );
  routes.set('/repo/al2/repodata/repomd.xml', {
    body: Buffer.from(
      '<?xml version="1.0"?><repomd xmlns="http://linux.duke.edu/metadata/repo"><data type="primary"><location href="repodata/p.xml.gz"/></data><data type="updateinfo"><location href="repodata/0123-updateinfo.xml.gz"/></data></repomd>',
    ),
    type: 'text/xml',
    cond: 'none',
  });
  routes.set('/repo/al2/repodata/0123-updateinfo.xml.gz', {
    body: gzipSync(buildUpdateinfo([al2])),
    type: 'application/gzip',
    cond: 'etag',
  });
  routes.set('/epss_scores-current.csv.gz', {
    body: gzipSync(readFileSync(join(V, 'epss/epss_scores-2025-02-20.head.csv'))),
    type: 'application/gzip',
    cond: 'etag',
  });
  routes.set('/sites/default/files/feeds/known_exploited_vulnerabilities.json', {
    body: readFileSync(join(V, 'kev/known_exploited_vulnerabilities.json')),
    type: 'application/json',
    cond: 'last-modified',
  });
  server = createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0]!;
    const send = (status: number, body?: Buffer, headers: Record<string, string> = {}) => {
      hits.push({ path, status });
      res.writeHead(status, headers);
      res.end(body);
    };
    if (path === failPath) return send(500, Buffer.from('boom'));
    if (path === '/2/core/latest/x86_64/mirror.list') return send(200, Buffer.from(`${base}/repo/al2/\n`));
    const r = routes.get(path);
    if (!r) return send(404, Buffer.from('not found'));
    const headers: Record<string, string> = {
      'content-type': r.type,
      'content-length': String(r.body.length),
    };
    if (r.cond === 'etag') {
      const etag = `"${createHash('sha256').update(r.body).digest('hex').slice(0, 16)}"`;
      headers.etag = etag;
      if (req.headers['if-none-match'] === etag) return send(304, undefined, { etag });
    }
    if (r.cond === 'last-modified') {
      headers['last-modified'] = LAST_MODIFIED;
      if (req.headers['if-modified-since'] === LAST_MODIFIED) return send(304);
    }
    send(200, r.body, headers);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(tmp, { recursive: true, force: true });
});

const SELECTED = ['osv:Go', 'debian', 'alas:2', 'epss', 'kev'];
const feeds = () => withMirror(selectFeeds(SELECTED, allFeeds()), base);
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('engine/vulndb/update feed selection', () => {
  it.each([
    { sel: ['osv:Go'], names: ['osv:Go'] },
    { sel: ['debian'], names: ['debian-tracker'] },
    { sel: ['alas'], names: ['alas:1', 'alas:2', 'alas:2022', 'alas:2023'] },
    { sel: ['osv:SwiftURL'], names: ['osv:SwiftURL'] },
    { sel: ['epss', 'kev', 'epss'], names: ['epss', 'kev'] },
  ])('$sel → $names', ({ sel, names }) => {
    expect(selectFeeds(sel).map((f) => f.name)).toEqual(names);
  });

  it('unknown feed names are an error that lists the known ones', () => {
    expect(() => selectFeeds(['nope'])).toThrow(/unknown feed "nope".*kev/);
  });

  it('--mirror keeps each feed path', () => {
    const [f] = withMirror(selectFeeds(['osv:Rocky Linux']), 'http://127.0.0.1:9/base/');
    expect(f?.url).toBe('http://127.0.0.1:9/base/Rocky%20Linux/all.zip');
  });
});

describe.skipIf(!HAVE_SHARED)('engine/vulndb/update against a local HTTP server', () => {
  it('first run downloads every feed; second run gets 304 everywhere and keeps the data', async () => {
    const db = join(tmp, 'u.sqlite');
    const progress = vi.fn();
    const first = await updateFeeds(db, feeds(), { progress });
    expect(first.map((r) => [r.feed, r.status])).toEqual(
      SELECTED.map((s) => [s === 'debian' ? 'debian-tracker' : s, 'updated']),
    );
    expect(progress).toHaveBeenCalledWith(expect.objectContaining({ feed: 'osv:Go', done: true }));
    const store = VulnStore.openReadOnly(db);
    const info1 = store.info();
    store.close();
    const goCount = filesUnder(join(V, 'osv/Go'), /\.json$/).length;
    const kevDoc = JSON.parse(readFileSync(join(V, 'kev/known_exploited_vulnerabilities.json'), 'utf8'));
    const byName = Object.fromEntries(info1.sources.map((s) => [s.name, s]));
    expect(byName['osv:Go']?.records).toBe(goCount);
    expect(byName['alas:2']).toMatchObject({
      records: 1,
      affected: 2,
      location: `${base}/repo/al2/repodata/0123-updateinfo.xml.gz`,
    });
    expect(byName.kev).toMatchObject({ records: kevDoc.count, lastModified: LAST_MODIFIED });
    expect(byName.epss?.etag).toMatch(/^"[0-9a-f]{16}"$/);

    hits.length = 0;
    const second = await updateFeeds(db, feeds());
    expect(second.every((r) => r.status === 'not-modified')).toBe(true);
    const feedHits = hits.filter((h) => !h.path.endsWith('mirror.list') && !h.path.endsWith('repomd.xml'));
    expect(feedHits.map((h) => h.status)).toEqual(SELECTED.map(() => 304));
    const store2 = VulnStore.openReadOnly(db);
    try {
      const info2 = store2.info();
      expect(info2.counts).toEqual(info1.counts);
      expect(store2.affected('Amazon Linux:2', 'kernel').map((h) => h.advisory.id)).toEqual([
        'ALAS2-2021-1699',
      ]);
    } finally {
      store2.close();
    }
  });

  it('a failing feed aborts the update and leaves the database byte-identical', async () => {
    const db = join(tmp, 'fail.sqlite');
    await updateFeeds(db, feeds());
    const before = sha(db);
    routes.get('/tracker/data/json')!.body = Buffer.from('{"changed": {}}'); // would change the data
    failPath = '/sites/default/files/feeds/known_exploited_vulnerabilities.json';
    try {
      await expect(updateFeeds(db, feeds())).rejects.toThrow(/HTTP 500/);
      expect(sha(db)).toBe(before);
      expect(readdirSync(tmp).filter((f) => f.startsWith('fail.sqlite'))).toEqual(['fail.sqlite']);
      // --keep-going: the others are applied, the failed feed keeps its old records
      const res = await updateFeeds(db, feeds(), { keepGoing: true });
      expect(res.find((r) => r.feed === 'kev')?.status).toBe('failed');
      expect(res.find((r) => r.feed === 'debian-tracker')?.status).toBe('updated');
      const store = VulnStore.openReadOnly(db);
      try {
        expect(store.kev('CVE-2023-4911')).toBeDefined();
        expect(store.sources().find((s) => s.name === 'debian-tracker')?.records).toBe(0);
      } finally {
        store.close();
      }
    } finally {
      failPath = undefined;
      routes.get('/tracker/data/json')!.body = readFileSync(
        join(V, 'native/debian-security-tracker/security-tracker-json-sample/debian.json'),
      );
    }
  });

  it('snapscan db update / info through the CLI', async () => {
    const db = join(tmp, 'cli.sqlite');
    const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      expect(await dbCli(['update', '--db', db, '--mirror', base, '--feeds', 'kev,epss', '--quiet'])).toBe(0);
      expect(await dbCli(['info', '--db', db, '--json'])).toBe(0);
      const json = JSON.parse(String(out.mock.calls.at(-1)?.[0]));
      expect(json.counts.kev).toBeGreaterThan(1000);
      expect(json.sources.map((s: { name: string }) => s.name)).toEqual(['epss', 'kev']);
      expect(await dbCli(['update', '--db', db, '--feeds', 'bogus'])).toBe(2);
      expect(await dbCli(['info', '--db', join(tmp, 'missing.sqlite')])).toBe(2);
    } finally {
      err.mockRestore();
      out.mockRestore();
    }
  });
});

/**
 * snapscan db — the vulnerability database.
 *
 *   snapscan db import PATH... [--db FILE] [--fresh]
 *   snapscan db update [--db FILE] [--feeds osv,debian,alas:2,…] [--mirror URL] [--config FILE]
 *                      [--keep-going] [--fresh] [--quiet]
 *   snapscan db info   [--db FILE] [--json] [--max-age-days N]
 *
 * The database is `$SNAPSCAN_DB` or ~/.cache/snapscan/vulndb.sqlite unless --db says otherwise.
 */
import { readFileSync } from 'node:fs';
import { ScanError } from '../../errors.js';
import { importPath } from '../../vulndb/ingest/index.js';
import { ageWarning, defaultDbPath, VulnStore, withWritableStore } from '../../vulndb/store.js';
import {
  allFeeds,
  DEFAULT_FEED_SELECTORS,
  type FeedSpec,
  selectFeeds,
  type UpdateProgress,
  updateFeeds,
  withMirror,
} from '../../vulndb/update.js';
import { type CommandSpec, formatOptions, parseCommand, positiveInt } from '../args.js';
import { makeProgress } from '../progress.js';

const DB_OPTION = {
  type: 'string',
  arg: 'FILE',
  description: 'the database (default: $SNAPSCAN_DB, else ~/.cache/snapscan/vulndb.sqlite)',
} as const;
const FRESH_OPTION = {
  type: 'boolean',
  description: 'start from an empty database instead of a copy of the current one',
} as const;

/** Each subcommand's options: its parser and its part of `--help`. */
export const subcommands = {
  import: { db: DB_OPTION, fresh: FRESH_OPTION },
  update: {
    db: DB_OPTION,
    feeds: {
      type: 'string',
      arg: 'LIST',
      description:
        'comma list of feed names or groups: osv, osv:<Ecosystem>, debian, alas, alas:<1|2|2022|2023>, epss, kev',
    },
    mirror: {
      type: 'string',
      arg: 'URL',
      description: "serve every feed from this base URL instead (keeps each feed's path)",
    },
    config: {
      type: 'string',
      arg: 'FILE',
      description: 'JSON file {"feeds": {"<name>": "<url>"}} overriding single feed URLs',
    },
    'keep-going': {
      type: 'boolean',
      description: 'a failing feed keeps its old records and the other feeds are still swapped in',
    },
    fresh: FRESH_OPTION,
    quiet: { type: 'boolean', short: 'q', description: 'no progress display' },
  },
  info: {
    db: DB_OPTION,
    json: { type: 'boolean', description: 'print the information as JSON' },
    'max-age-days': {
      type: 'string',
      arg: 'N',
      description: 'warn when the data is older',
      dflt: '7',
    },
  },
} satisfies Record<string, CommandSpec>;

function indent(text: string): string {
  return text
    .split('\n')
    .map((l) => `    ${l}`)
    .join('\n');
}

export const usage = `usage:
  snapscan db import PATH... [--db FILE] [--fresh]
      Import local feed files or folders (kind detected per file: OSV JSON/YAML/all.zip, Debian
      tracker JSON, ALAS updateinfo.xml(.gz) or JSON, EPSS CSV(.gz), CISA KEV JSON, NVD JSON).
${indent(formatOptions(subcommands.import))}
  snapscan db update [--db FILE] [--feeds LIST] [--mirror URL] [--config FILE] [--keep-going] [--fresh] [--quiet]
      Download the public feeds (default: ${DEFAULT_FEED_SELECTORS.join(',')}); conditional requests
      (ETag / If-Modified-Since); the database file is replaced atomically at the end.
${indent(formatOptions(subcommands.update))}
  snapscan db info [--db FILE] [--json] [--max-age-days N]
      Sources, record counts, age.
${indent(formatOptions(subcommands.info))}
Database: --db, else $SNAPSCAN_DB, else ~/.cache/snapscan/vulndb.sqlite`;

function mib(n: number): string {
  return `${(n / 1048576).toFixed(1)} MiB`;
}

async function runImport(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, subcommands.import, { positionals: true });
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  if (positionals.length === 0) throw new ScanError('invalid-argument', 'db import: give at least one PATH');
  const db = values.db ?? defaultDbPath();
  const t0 = Date.now();
  await withWritableStore(
    db,
    async (w) => {
      for (const p of positionals) {
        const r = await importPath(w, p, { log: (l) => process.stderr.write(`${l}\n`) });
        if (r.ignored > 0)
          process.stderr.write(`  ${r.ignored} files under ${p} are no feed kind snapscan reads\n`);
        for (const rep of r.reports)
          for (const problem of rep.problems.slice(0, 5)) process.stderr.write(`  skipped ${problem}\n`);
      }
    },
    values.fresh ? { fresh: true } : {},
  );
  process.stderr.write(`db import: ${db} written in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  return 0;
}

function loadConfig(path: string): Record<string, string> {
  const doc = JSON.parse(readFileSync(path, 'utf8')) as { feeds?: Record<string, unknown> };
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(doc.feeds ?? {})) {
    if (typeof v !== 'string' || !/^https?:\/\//.test(v)) {
      throw new ScanError('invalid-argument', `db update: ${path}: feed "${k}" needs an http(s) URL`);
    }
    out[k] = v;
  }
  return out;
}

async function runUpdate(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, subcommands.update);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const db = values.db ?? defaultDbPath();
  const selectors = values.feeds
    ? values.feeds
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean)
    : DEFAULT_FEED_SELECTORS;
  let feeds: FeedSpec[];
  try {
    feeds = selectFeeds(selectors, allFeeds());
  } catch (err) {
    throw new ScanError('invalid-argument', (err as Error).message);
  }
  if (values.mirror) feeds = withMirror(feeds, values.mirror);
  if (values.config) {
    const urls = loadConfig(values.config);
    feeds = feeds.map((f) => (urls[f.name] ? { ...f, url: urls[f.name]! } : f));
  }
  const quiet = values.quiet ?? false;
  const bar = makeProgress({ quiet });
  const progress = (p: UpdateProgress) => {
    const of = p.total ? ` / ${mib(p.total)}` : '';
    if (p.done) {
      bar.done();
      if (!quiet) process.stderr.write(`${p.feed}: downloaded ${mib(p.bytes)}\n`);
    } else bar.update(`${p.feed}: ${mib(p.bytes)}${of}`);
  };
  const log = (l: string) => {
    bar.done();
    if (!quiet) process.stderr.write(`${l}\n`);
  };
  log(`db update: ${feeds.length} feeds into ${db}`);
  const results = await updateFeeds(db, feeds, {
    progress,
    log,
    keepGoing: values['keep-going'] ?? false,
    fresh: values.fresh ?? false,
  });
  const failed = results.filter((r) => r.status === 'failed');
  const updated = results.filter((r) => r.status === 'updated').length;
  const same = results.filter((r) => r.status === 'not-modified').length;
  process.stderr.write(`db update: ${updated} updated, ${same} not modified, ${failed.length} failed\n`);
  return failed.length > 0 ? 1 : 0;
}

function age(iso: string | undefined, now: Date): string {
  if (!iso) return '?';
  const ms = now.getTime() - Date.parse(iso);
  if (!Number.isFinite(ms)) return '?';
  const h = ms / 3_600_000;
  return h < 48 ? `${h.toFixed(1)} h` : `${(h / 24).toFixed(1)} d`;
}

async function runInfo(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, subcommands.info);
  if (values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const store = VulnStore.openReadOnly(values.db ?? defaultDbPath());
  try {
    const info = store.info();
    const maxAge = positiveInt('max-age-days', values['max-age-days'], 7);
    const warning = ageWarning(store, maxAge);
    if (values.json) {
      process.stdout.write(`${JSON.stringify({ ...info, ...(warning ? { warning } : {}) }, null, 2)}\n`);
      return 0;
    }
    const now = new Date();
    const lines = [
      `database   ${info.path} (${mib(info.sizeBytes)}, schema ${info.schemaVersion})`,
      `built      ${info.builtAt ?? '?'} (${age(info.builtAt, now)} ago)`,
      `records    ${info.counts.advisories} advisories, ${info.counts.affected} affected packages, ${info.counts.aliases} aliases, ${info.counts.epss} EPSS, ${info.counts.kev} KEV, ${info.counts.nvdCvss} NVD CVSS`,
      '',
      `${'source'.padEnd(44)} ${'kind'.padEnd(15)} ${'records'.padStart(9)} ${'affected'.padStart(9)}  checked      data date`,
    ];
    for (const s of info.sources) {
      lines.push(
        `${s.name.slice(0, 44).padEnd(44)} ${s.kind.padEnd(15)} ${String(s.records).padStart(9)} ${String(s.affected).padStart(9)}  ${`${age(s.importedAt, now)} ago`.padEnd(12)} ${s.dataDate ?? ''}`,
      );
    }
    process.stdout.write(`${lines.join('\n')}\n`);
    if (warning) process.stderr.write(`warning: ${warning}\n`);
    return 0;
  } finally {
    store.close();
  }
}

export async function run(argv: string[]): Promise<number> {
  const [sub, ...rest] = argv;
  try {
    switch (sub) {
      case 'import':
        return await runImport(rest);
      case 'update':
        return await runUpdate(rest);
      case 'info':
        return await runInfo(rest);
      case undefined:
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(`${usage}\n`);
        return sub ? 0 : 2;
      default:
        process.stderr.write(`snapscan db: unknown subcommand "${sub}"\n${usage}\n`);
        return 2;
    }
  } catch (err) {
    if (err instanceof ScanError && (err.code === 'invalid-argument' || err.code.startsWith('vulndb-'))) {
      process.stderr.write(`snapscan db: ${err.message}\n`);
      return 2;
    }
    throw err;
  }
}

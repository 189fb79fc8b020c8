/**
 * snapscan scan: targets → inventories (worker threads) → matches → findings → output.
 */
import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { MatchPool } from '../../../workers/pool.js';
import { ScanError } from '../../errors.js';
import { exportRun } from '../../export/index.js';
import { LocalFolderSink } from '../../export/sink.js';
import type { Finding, Severity } from '../../findings/index.js';
import { inventoryToCycloneDx } from '../../inventory/cyclonedx.js';
import type { PackageKind } from '../../pipeline.js';
import {
  findingResource,
  findingsFor,
  LOCAL_ACCOUNT,
  matchInventory,
  matchInventoryPooled,
  POOL_MIN_PACKAGES,
} from '../../scan/findings.js';
import { atOrAbove, renderJson, renderTable, type ScanReport } from '../../scan/render.js';
import { runScans } from '../../scan/run.js';
import { TOOL } from '../../version.js';
import { ageWarning, defaultDbPath, VulnStore } from '../../vulndb/index.js';
import { listOf, oneOf, parseCommandArgs, positiveInt } from '../args.js';
import { rawImagePath } from '../image.js';
import { makeProgress } from '../progress.js';

export const usage = `usage: snapscan scan (--image FILE | --snapshot SNAP_ID | --instance INSTANCE_ID)... [options]

Scan disk images, completed EBS snapshots, or EC2 instances (their volumes are snapshotted — tagged
snapscan:managed — read through the EBS direct APIs, and the snapshots deleted afterwards).

options:
  --image FILE           raw disk image (.gz is unpacked to the cache); repeatable
  --snapshot ID          completed EBS snapshot; repeatable
  --instance ID          EC2 instance (all of its EBS volumes); repeatable
  --format FORMAT        table | json | inventory | cyclonedx (default: table on a terminal, json otherwise)
  --output FILE          write the output there instead of stdout
  --out-dir DIR          also write the export run there: findings NDJSON + CSV, CycloneDX and SPDX SBOMs, manifest.json
  --db FILE              vulnerability database (default ${defaultDbPath()})
  --severity LEVEL       show only findings at or above: untriaged (default: all), informational, low, medium, high, critical
  --exit-code N          exit with N when a finding at or above --severity remains (CI gating)
  --packages KINDS       os,lang (default: every kind snapscan knows)
  --concurrency N        targets scanned at once (default 4)
  --ebs-concurrency N    EBS requests in flight per snapshot (default 64)
  --region REGION        AWS region (default: the standard chain)
  --endpoint URL         AWS endpoint for EC2, EBS and STS (e.g. the emulator)
  --max-db-age-days N    warn when the vulnerability data is older (default 7)
  --details              also read per-package file lists and licenses (more blocks read)
  --stats                print read and EBS API figures on stderr
  --quiet                no progress display
`;

// UNTRIAGED (no score and no vendor rating) ranks lowest: the default shows every finding.
const LEVELS = ['untriaged', 'informational', 'low', 'medium', 'high', 'critical'] as const;

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommandArgs(argv, {
    image: { type: 'string', multiple: true },
    snapshot: { type: 'string', multiple: true },
    instance: { type: 'string', multiple: true },
    format: { type: 'string' },
    output: { type: 'string', short: 'o' },
    'out-dir': { type: 'string' },
    db: { type: 'string' },
    severity: { type: 'string' },
    'exit-code': { type: 'string' },
    packages: { type: 'string' },
    concurrency: { type: 'string' },
    'ebs-concurrency': { type: 'string' },
    region: { type: 'string' },
    endpoint: { type: 'string' },
    'max-db-age-days': { type: 'string' },
    stats: { type: 'boolean' },
    details: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const images = values.image ?? [];
  const snapshots = values.snapshot ?? [];
  const instances = values.instance ?? [];
  if (images.length + snapshots.length + instances.length === 0) {
    throw new ScanError(
      'invalid-argument',
      'give at least one --image, --snapshot or --instance (see snapscan scan --help)',
    );
  }
  const format = oneOf(
    'format',
    values.format,
    ['table', 'json', 'inventory', 'cyclonedx'] as const,
    process.stdout.isTTY && !values.output ? 'table' : 'json',
  );
  const minSeverity = oneOf('severity', values.severity, LEVELS, 'untriaged').toUpperCase() as Severity;
  const exitCode = values['exit-code'] === undefined ? 0 : positiveInt('exit-code', values['exit-code'], 1);
  const kinds = listOf<PackageKind>('packages', values.packages, ['os', 'lang'], ['os', 'lang']);
  const maxAge = positiveInt('max-db-age-days', values['max-db-age-days'], 7);
  const needFindings =
    format === 'table' || format === 'json' || values['out-dir'] !== undefined || exitCode !== 0;

  // Open the store first: a missing database should fail before any snapshot is created.
  let store: VulnStore | undefined;
  if (needFindings) {
    store = VulnStore.openReadOnly(values.db ?? defaultDbPath());
    const warn = ageWarning(store, maxAge);
    if (warn) process.stderr.write(`snapscan: warning: ${warn}\n`);
  }

  const progress = makeProgress({ quiet: values.quiet });
  const runId = randomUUID();
  const startedAt = new Date();
  const rawImages = await Promise.all(images.map((p) => rawImagePath(p)));
  let results: Awaited<ReturnType<typeof runScans>>;
  try {
    results = await runScans({
      images: rawImages,
      snapshots,
      instances,
      packages: kinds,
      details: values.details ?? false,
      runId,
      concurrency: positiveInt('concurrency', values.concurrency, 4),
      ...(values['ebs-concurrency']
        ? { ebsConcurrency: positiveInt('ebs-concurrency', values['ebs-concurrency'], 64) }
        : {}),
      aws: {
        ...(values.region ? { region: values.region } : {}),
        ...(values.endpoint ? { endpoint: values.endpoint } : {}),
      },
      onProgress: (m) => progress.update(m),
    });
  } finally {
    progress.done();
  }
  // Name image results by what the user typed, not the cache path.
  for (const r of results) {
    const i = rawImages.indexOf(r.target);
    if (i >= 0) {
      r.target = images[i]!;
      if (r.inventory) r.inventory.resource.id = images[i]!;
    }
  }

  // Small inventories match in this thread; large ones are split across a pool of match workers,
  // each with the store open read-only.
  const totalPackages = results.reduce((n, r) => n + (r.inventory?.packages.length ?? 0), 0);
  const pool =
    store && totalPackages >= POOL_MIN_PACKAGES
      ? new MatchPool({ kind: 'sqlite', path: store.info().path })
      : undefined;
  const reports: ScanReport[] = [];
  try {
    for (const r of results) {
      const report: ScanReport = { target: r.target, findings: [], unmatched: 0 };
      if (r.inventory) report.inventory = r.inventory;
      if (r.snapshots) report.snapshots = r.snapshots;
      if (r.error) report.error = { code: r.error.code, message: r.error.message };
      if (store && r.inventory) {
        const m = pool ? await matchInventoryPooled(r.inventory, pool) : matchInventory(r.inventory, store);
        report.findings = findingsFor(r.inventory, m.matches, store, () => startedAt);
        report.unmatched = m.skipped.length;
      }
      reports.push(report);
    }
  } finally {
    await pool?.close();
    store?.close();
  }

  if (values['out-dir']) {
    const sink = new LocalFolderSink(values['out-dir']);
    const manifest = await exportRun(
      sink,
      reports
        .filter((r) => r.inventory)
        .map((r) => ({
          awsAccountId: r.inventory!.resource.accountId ?? LOCAL_ACCOUNT,
          resource: findingResource(r.inventory!),
          ...(r.inventory!.os ? { os: r.inventory!.os } : {}),
          packages: r.inventory!.packages,
          findings: r.findings,
        })),
      { runId, startedAt, tool: TOOL },
    );
    process.stderr.write(
      `snapscan: wrote ${manifest.objects.length + 1} objects to ${sink.location} (run ${runId})\n`,
    );
  }

  const shown = reports.map((r) => ({ ...r, findings: atOrAbove(r.findings, minSeverity) }));
  let text: string;
  switch (format) {
    case 'table':
      text = renderTable(shown);
      break;
    case 'json':
      text = renderJson(shown, { tool: TOOL, runId, startedAt: startedAt.toISOString() });
      break;
    case 'inventory':
      text = `${JSON.stringify(
        results.map((r) => r.inventory ?? { target: r.target, error: r.error?.message }),
        null,
        2,
      )}\n`;
      break;
    case 'cyclonedx':
      text = results
        .filter((r) => r.inventory)
        .map((r) => `${inventoryToCycloneDx(r.inventory!)}\n`)
        .join('');
      break;
  }
  if (values.output) await writeFile(values.output, text);
  else process.stdout.write(text);

  if (values.stats) {
    for (const r of reports) {
      const s = r.inventory?.stats;
      if (!s) continue;
      const ebs = s.ebs
        ? `; EBS: ${s.ebs.listCalls} ListSnapshotBlocks, ${s.ebs.getCalls} GetSnapshotBlock, ${s.ebs.bytesFetched} bytes, ${s.ebs.retries} retries, $${s.ebs.costUsd?.toFixed(6)}`
        : '';
      process.stderr.write(
        `snapscan: ${r.target}: read ${s.bytesRead} bytes in ${s.reads} reads, ${s.distinctBlocks} distinct 512 KiB blocks, ${s.wallMs} ms${ebs}\n`,
      );
    }
  }
  const failed = reports.filter((r) => r.error || r.inventory?.status.state === 'failed');
  for (const f of failed)
    process.stderr.write(
      `snapscan: ${f.target}: scan failed: ${f.error?.message ?? f.inventory?.status.issues[0]?.error.message}\n`,
    );
  for (const r of reports) {
    for (const s of r.snapshots?.failed ?? [])
      process.stderr.write(
        `snapscan: warning: snapshot not deleted: ${s} (snapscan janitor will remove it)\n`,
      );
  }
  if (failed.length) return 1;
  if (exitCode && shown.some((r: { findings: Finding[] }) => r.findings.length > 0)) return exitCode;
  return 0;
}

/**
 * One scheduler pass:
 *
 *   janitor (dead passes, expired) ─► plan: discover (per region) → decide → hybrid ─► queue ─►
 *   scan (SSM inventory or agentless snapshot scan, --concurrency at a time, due-longest first)
 *   ─► findings over time (merge, suppressions) ─► rematch stored inventories if the vulnerability
 *   data changed ─► export run (findings, SBOMs, coverage; manifest last) ─► state index (last)
 *   ─► EventBridge events
 *
 * State consistency: findings and inventories are written under pass-unique keys while the pass
 * runs; the index that points at them is written only after the export succeeded. A pass that dies
 * (SIGKILL) or cannot export leaves the previous index: the next pass starts from it, and its
 * snapshots are deleted by the janitor (the pass marker names the dead run).
 */
import { createHash, randomBytes } from 'node:crypto';
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { EventBridgeClient, PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import { GetCallerIdentityCommand } from '@aws-sdk/client-sts';
import { ScanError } from '../engine/errors.js';
import { exportRun } from '../engine/export/index.js';
import type { ResourceResult } from '../engine/export/sbom-input.js';
import type { ExportSink } from '../engine/export/sink.js';
import type { Finding } from '../engine/findings/index.js';
import type { Inventory } from '../engine/inventory/types.js';
import { findingResource, LOCAL_ACCOUNT } from '../engine/scan/findings.js';
import { runScans } from '../engine/scan/run.js';
import { findingsForInventories } from '../engine/scan/scan-targets.js';
import { TOOL } from '../engine/version.js';
import type { VulnStore } from '../engine/vulndb/index.js';
import type { ScanPool } from '../workers/pool.js';
import { type CoverageRecord, type ScanMode, type ScanStatusReason, statusCodeOf } from './coverage.js';
import { chooseMethod, dueness, eligibility, type SchedulerMode } from './decide.js';
import { type DiscoveredInstance, discoverInstances } from './discover.js';
import { findingEvent, type PublishReport, publishEvents, scanFailedEvent } from './events.js';
import { countByStatus, mergeFindings } from './findings-lifecycle.js';
import { runJanitor } from './janitor.js';
import { InProcessQueue, type JobQueue, type ScanJob } from './queue.js';
import { describeManagedInstances, listApplications, type ManagedInstance } from './ssm.js';
import {
  platformOf,
  type SourceHint,
  sourceHintsOf,
  ssmEntriesToPackages,
  ssmInventory,
} from './ssm-inventory.js';
import { getJson, putJson, type StateStore } from './state-store.js';
import type { SuppressionRule } from './suppressions.js';

export interface SchedulerConfig {
  mode: SchedulerMode;
  regions: string[];
  intervalMs: number;
  concurrency: number;
  suppressions: SuppressionRule[];
  eventsBus?: string;
  /** undefined: never reuse; else the age of a completed snapshot that may be scanned instead. */
  reuseSnapshotsMaxAgeMs?: number;
  maxInventoryAgeMs: number;
  closedRetentionMs: number;
  retryFailedMs: number;
  snapshotTtlMs: number;
  snapshotPollMs: number;
  /** Random delay before each scan starts, at most this long (spreads API load). */
  jitterMs: number;
  ebsConcurrency?: number;
}

export interface SchedulerClients {
  ec2(region: string): EC2Client;
  ssm(region: string): SSMClient;
  sts: STSClient;
  events?: EventBridgeClient;
}

export interface PassContext {
  cfg: SchedulerConfig;
  clients: SchedulerClients;
  state: StateStore;
  sink: ExportSink;
  exportPrefix: string;
  store: VulnStore;
  pool: ScanPool;
  queue?: JobQueue;
  now: () => Date;
  random?: () => number;
  signal?: AbortSignal;
  log?: (line: string) => void;
  /** Set by the caller when `db update` ran before this pass (recorded in the index). */
  dbUpdatedAt?: string;
}

/** What the index remembers per instance. */
export interface InstanceEntry {
  instanceId: string;
  accountId: string;
  region: string;
  tags: Record<string, string>;
  reason: ScanStatusReason;
  methodReason?: ScanStatusReason;
  scanMode?: ScanMode;
  lastScannedAt?: string;
  lastAttemptAt?: string;
  failed?: boolean;
  ssmCaptureTime?: string;
  outcome?: { state: string; reasons: string[] };
  snapshots?: { created: string[]; reused: string[] };
  packages?: number;
  findingsKey?: string;
  inventoryKey?: string;
  terminatedAt?: string;
  message?: string;
}

export interface StateIndex {
  schemaVersion: 1;
  passId: string;
  updatedAt: string;
  vulnData?: string;
  dbUpdatedAt?: string;
  instances: Record<string, InstanceEntry>;
}

export interface PassReport {
  passId: string;
  startedAt: string;
  completedAt: string;
  /** Export and state index written: the pass counts. */
  ok: boolean;
  aborted: boolean;
  error?: string;
  counts: {
    instances: number;
    scanned: number;
    ssm: number;
    agentless: number;
    kept: number;
    skipped: number;
    failed: number;
    terminated: number;
    rematched: number;
  };
  snapshots: { created: number; reused: number; deleteFailed: number };
  findings: { opened: number; closed: number; suppressed: number };
  janitor: { deleted: number; failed: number };
  events?: PublishReport;
  manifestKey?: string;
  coverage: CoverageRecord[];
}

export const INDEX_KEY = 'index.json';
const HINTS_KEY = 'hints/dpkg-source.json';
const PASSES_PREFIX = 'passes/';

function passIdOf(now: Date): string {
  return `${now
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z')}-${randomBytes(3).toString('hex')}`;
}

/** Identifies the vulnerability data: a change means stored inventories must be re-matched. */
export function vulnDataFingerprint(store: VulnStore): string {
  const info = store.info();
  const parts = info.sources.map((s) => `${s.name}|${s.importedAt}|${s.records}|${s.etag ?? ''}`).sort();
  return createHash('sha256')
    .update(JSON.stringify([info.builtAt ?? '', info.counts, parts]))
    .digest('hex')
    .slice(0, 16);
}

function emptyIndex(): StateIndex {
  return { schemaVersion: 1, passId: '', updatedAt: '', instances: {} };
}

export async function loadIndex(state: StateStore): Promise<StateIndex> {
  const idx = await getJson<StateIndex>(state, INDEX_KEY);
  if (!idx) return emptyIndex();
  if (idx.schemaVersion !== 1 || typeof idx.instances !== 'object' || idx.instances === null)
    throw new ScanError(
      'corrupt',
      `state: ${state.location}/${INDEX_KEY}: unknown schema version ${idx.schemaVersion}`,
    );
  return idx;
}

/** Scan result → coverage reason. A scan that did not read everything is never SUCCESSFUL. */
export function reasonOfScan(r: {
  inventory?: Inventory;
  error?: { code: string; name?: string; message: string };
}): ScanStatusReason {
  if (r.error) {
    if (r.error.code === 'kms-access-denied') return 'ACCESS_DENIED_TO_ENCRYPTION_KEY';
    if (/AccessDenied|UnauthorizedOperation/.test(`${r.error.name ?? ''} ${r.error.message}`))
      return 'ACCESS_DENIED';
    return 'INTERNAL_ERROR';
  }
  const inv = r.inventory!;
  if (inv.status.state === 'complete') return 'SUCCESSFUL';
  if (inv.status.state === 'failed' && inv.status.reasons.some((x) => x.code === 'no-os-identified'))
    return 'UNSUPPORTED_OS';
  if (inv.status.state === 'failed') {
    if (inv.status.reasons.some((x) => x.code === 'read-error' && /kms/i.test(x.message)))
      return 'ACCESS_DENIED_TO_ENCRYPTION_KEY';
    return 'INTERNAL_ERROR';
  }
  return 'PARTIAL_SCAN';
}

function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener(
      'abort',
      () => {
        clearTimeout(t);
        resolve();
      },
      { once: true },
    );
  });
}

function withTags(findings: Finding[], tags: Record<string, string>): Finding[] {
  if (Object.keys(tags).length === 0) return findings;
  return findings.map((f) => ({ ...f, resources: f.resources.map((r) => ({ ...r, tags })) }));
}

export async function runPass(ctx: PassContext, o: { rematchOnly?: boolean } = {}): Promise<PassReport> {
  const { cfg, state } = ctx;
  const log = ctx.log ?? (() => {});
  const random = ctx.random ?? Math.random;
  const started = ctx.now();
  const passId = passIdOf(started);
  const report: PassReport = {
    passId,
    startedAt: started.toISOString(),
    completedAt: '',
    ok: false,
    aborted: false,
    counts: {
      instances: 0,
      scanned: 0,
      ssm: 0,
      agentless: 0,
      kept: 0,
      skipped: 0,
      failed: 0,
      terminated: 0,
      rematched: 0,
    },
    snapshots: { created: 0, reused: 0, deleteFailed: 0 },
    findings: { opened: 0, closed: 0, suppressed: 0 },
    janitor: { deleted: 0, failed: 0 },
    coverage: [],
  };
  const index = await loadIndex(state);
  const next: StateIndex = structuredClone(index);
  /** Keys this pass wrote (deleted again if the pass does not complete) and keys it replaced. */
  const written: string[] = [];
  const replaced: string[] = [];
  const events: PutEventsRequestEntry[] = [];
  const bus = cfg.eventsBus;
  const passMode = new Map<string, CoverageRecord['pass']>();

  // Janitor: snapshots of passes that never finished (their marker is still there), then expired ones.
  const markers = (await state.list(PASSES_PREFIX)).filter((k) => k.endsWith('.json'));
  const deadRuns = new Set(markers.map((k) => k.slice(PASSES_PREFIX.length, -'.json'.length)));
  let janitorOk = true;
  if (!o.rematchOnly) {
    for (const region of cfg.regions) {
      try {
        const j = await runJanitor(ctx.clients.ec2(region), {
          now: started,
          deadRuns,
          ...(ctx.signal ? { signal: ctx.signal } : {}),
        });
        report.janitor.deleted += j.deleted.length;
        report.janitor.failed += j.failed.length;
        if (j.failed.length) janitorOk = false;
      } catch (err) {
        janitorOk = false;
        log(`janitor ${region}: ${(err as Error).message}`);
      }
    }
    if (janitorOk) for (const m of markers) await state.delete(m);
  }
  const markerKey = `${PASSES_PREFIX}${passId}.json`;
  if (!o.rematchOnly)
    await putJson(state, markerKey, { passId, startedAt: report.startedAt, pid: process.pid });

  const hints = new Map<string, SourceHint>(
    Object.entries((await getJson<Record<string, SourceHint>>(state, HINTS_KEY)) ?? {}),
  );
  const hintsBefore = hints.size;
  const fingerprint = vulnDataFingerprint(ctx.store);

  const loadFindings = async (key: string | undefined): Promise<Finding[]> =>
    key ? ((await getJson<Finding[]>(state, key)) ?? []) : [];
  const putObject = async (key: string, value: unknown) => {
    await putJson(state, key, value);
    written.push(key);
  };
  const objectKey = (instanceId: string, what: 'findings' | 'inventory') =>
    `instances/${instanceId}/${passId}.${what}.json`;

  /** Merges new findings into the instance's history, writes them, collects events. */
  const recordFindings = async (
    entry: InstanceEntry,
    current: Finding[],
    closeUnseen: boolean,
    now: Date,
  ) => {
    const prev = await loadFindings(entry.findingsKey);
    const merged = mergeFindings(prev, withTags(current, entry.tags), {
      now,
      closedRetentionMs: cfg.closedRetentionMs,
      rules: cfg.suppressions,
      tags: entry.tags,
      closeUnseen,
    });
    report.findings.opened += merged.opened.length;
    report.findings.closed += merged.closed.length;
    report.findings.suppressed += merged.suppressed.length;
    if (bus) {
      for (const f of merged.opened)
        if (f.status === 'ACTIVE') events.push(findingEvent('finding-new', f, bus, now));
      for (const f of merged.closed) events.push(findingEvent('finding-closed', f, bus, now));
      for (const f of merged.suppressed) events.push(findingEvent('finding-suppressed', f, bus, now));
    }
    const key = objectKey(entry.instanceId, 'findings');
    await putObject(key, merged.findings);
    if (entry.findingsKey) replaced.push(entry.findingsKey);
    entry.findingsKey = key;
  };

  const accountId = await (async () => {
    try {
      return (await ctx.clients.sts.send(new GetCallerIdentityCommand({}))).Account ?? LOCAL_ACCOUNT;
    } catch (err) {
      log(`sts GetCallerIdentity: ${(err as Error).message} (account recorded as "${LOCAL_ACCOUNT}")`);
      return LOCAL_ACCOUNT;
    }
  })();

  // ---- plan ----
  const jobs: ScanJob[] = [];
  const handled = new Set<string>();
  if (!o.rematchOnly) {
    for (const region of cfg.regions) {
      const ec2 = ctx.clients.ec2(region);
      const instances: DiscoveredInstance[] = await discoverInstances(ec2, region, ctx.signal);
      let managed = new Map<string, ManagedInstance>();
      if (cfg.mode !== 'agentless') {
        try {
          managed = await describeManagedInstances(ctx.clients.ssm(region), ctx.signal);
        } catch (err) {
          // SSM unreachable or denied: every instance counts as unmanaged this pass (hybrid falls back
          // to snapshots, ssm-only records UNMANAGED_EC2_INSTANCE); the pass goes on.
          if (ctx.signal?.aborted) throw err;
          log(
            `ssm ${region}: DescribeInstanceInformation: ${(err as Error).name}: ${(err as Error).message}`,
          );
        }
      }
      const seen = new Set<string>();
      for (const inst of instances) {
        seen.add(inst.instanceId);
        const prev = next.instances[inst.instanceId];
        const entry: InstanceEntry = prev ?? {
          instanceId: inst.instanceId,
          accountId,
          region,
          tags: inst.tags,
          reason: 'PENDING_INITIAL_SCAN',
        };
        entry.tags = inst.tags;
        entry.accountId = accountId;
        next.instances[inst.instanceId] = entry;
        const el = eligibility(inst);
        if (el.kind === 'terminated') {
          if (!entry.terminatedAt) await terminate(entry);
          continue;
        }
        delete entry.terminatedAt;
        if (el.kind === 'skip') {
          entry.reason = el.reason;
          passMode.set(inst.instanceId, 'skipped');
          report.counts.skipped++;
          continue;
        }
        if (el.kind === 'transient') {
          passMode.set(inst.instanceId, 'skipped');
          report.counts.skipped++;
          continue;
        }
        const m = managed.get(inst.instanceId);
        let captureTime: string | undefined;
        if (m?.pingStatus === 'Online' && platformOf(m)) {
          try {
            captureTime = (
              await listApplications(ctx.clients.ssm(region), inst.instanceId, {
                firstPageOnly: true,
                ...(ctx.signal ? { signal: ctx.signal } : {}),
              })
            ).captureTime;
          } catch (err) {
            if (ctx.signal?.aborted) throw err;
            log(
              `ssm ${inst.instanceId}: ListInventoryEntries: ${(err as Error).name}: ${(err as Error).message}`,
            );
          }
        }
        const choice = chooseMethod(cfg.mode, m, captureTime, started, cfg.maxInventoryAgeMs);
        if (choice.method === 'none') {
          entry.reason = choice.reason;
          delete entry.methodReason;
          passMode.set(inst.instanceId, 'skipped');
          report.counts.skipped++;
          continue;
        }
        const d = dueness(entry, choice, {
          now: started,
          intervalMs: cfg.intervalMs,
          retryFailedMs: cfg.retryFailedMs,
        });
        if (!d.due) {
          passMode.set(inst.instanceId, 'kept');
          report.counts.kept++;
          continue;
        }
        const job: ScanJob = {
          passId,
          accountId,
          region,
          instanceId: inst.instanceId,
          method: choice.method,
          tags: inst.tags,
          overdueMs: d.overdueMs,
        };
        if (choice.method === 'agentless' && choice.reason) job.methodReason = choice.reason;
        if (choice.method === 'ssm' && m) {
          job.captureTime = choice.captureTime;
          job.platform = {
            ...(m.platformType ? { platformType: m.platformType } : {}),
            ...(m.platformName ? { platformName: m.platformName } : {}),
            ...(m.platformVersion ? { platformVersion: m.platformVersion } : {}),
          };
        }
        jobs.push(job);
      }
      // Known instances no longer listed at all: terminated long enough ago that EC2 forgot them.
      for (const entry of Object.values(next.instances)) {
        if (entry.region === region && !seen.has(entry.instanceId) && !entry.terminatedAt)
          await terminate(entry);
      }
    }
  }

  async function terminate(entry: InstanceEntry): Promise<void> {
    entry.reason = 'RESOURCE_TERMINATED';
    entry.terminatedAt = started.toISOString();
    if (entry.findingsKey) await recordFindings(entry, [], true, started);
    passMode.set(entry.instanceId, 'skipped');
    report.counts.terminated++;
  }

  // ---- scan ----
  const queue = ctx.queue ?? new InProcessQueue();
  await queue.send(jobs);
  const executeJob = async (job: ScanJob): Promise<void> => {
    const entry = next.instances[job.instanceId]!;
    const attemptAt = ctx.now();
    const t0 = performance.now();
    const phase: Record<string, number> = {};
    let inventory: Inventory | undefined;
    let error: { code: string; name?: string; message: string } | undefined;
    let snapshots: { created: string[]; reused: string[] } | undefined;
    if (job.method === 'ssm') {
      try {
        const platform = platformOf(job.platform ?? {});
        if (!platform) throw new ScanError('unsupported', `${job.instanceId}: SSM platform not supported`);
        const apps = await listApplications(
          ctx.clients.ssm(job.region),
          job.instanceId,
          ctx.signal ? { signal: ctx.signal } : {},
        );
        const { packages } = ssmEntriesToPackages(apps.entries, platform, { sourceHints: hints });
        inventory = ssmInventory(
          { type: 'instance', id: job.instanceId, accountId: job.accountId, region: job.region },
          platform,
          packages,
          apps.captureTime ?? job.captureTime ?? attemptAt.toISOString(),
        );
        entry.ssmCaptureTime = apps.captureTime ?? job.captureTime;
      } catch (err) {
        error = {
          code: (err as ScanError).code ?? 'ssm-error',
          name: (err as Error).name,
          message: (err as Error).message,
        };
      }
    } else {
      const [r] = await runScans({
        instances: [job.instanceId],
        aws: { region: job.region },
        pool: ctx.pool,
        ec2: ctx.clients.ec2(job.region),
        accountId: job.accountId,
        runId: passId,
        handleSignals: false,
        snapshotTtlMs: cfg.snapshotTtlMs,
        snapshotWait: { pollIntervalMs: cfg.snapshotPollMs },
        ...(cfg.reuseSnapshotsMaxAgeMs !== undefined
          ? { reuseSnapshotsMaxAgeMs: cfg.reuseSnapshotsMaxAgeMs }
          : {}),
        ...(cfg.ebsConcurrency ? { ebsConcurrency: cfg.ebsConcurrency } : {}),
        now: ctx.now,
        ...(ctx.signal ? { signal: ctx.signal } : {}),
      });
      if (r!.inventory) inventory = r!.inventory;
      if (r!.error) error = { code: r!.error.code, name: r!.error.name, message: r!.error.message };
      snapshots = { created: r!.snapshots?.created ?? [], reused: r!.snapshots?.reused ?? [] };
      report.snapshots.created += snapshots.created.length;
      report.snapshots.reused += snapshots.reused.length;
      report.snapshots.deleteFailed += r!.snapshots?.failed.length ?? 0;
    }
    phase.read = performance.now() - t0;
    if (ctx.signal?.aborted) return; // interrupted: not an attempt; the next pass does it again
    const now = ctx.now();
    entry.lastAttemptAt = now.toISOString();
    entry.scanMode = job.method === 'ssm' ? 'EC2_SSM_AGENT_BASED' : 'EC2_AGENTLESS';
    if (job.methodReason) entry.methodReason = job.methodReason as ScanStatusReason;
    else delete entry.methodReason;
    if (snapshots) entry.snapshots = snapshots;
    const reason = reasonOfScan(inventory ? { inventory } : { error: error! });
    entry.reason = reason;
    if (!inventory || inventory.status.state === 'failed') {
      entry.failed = true;
      entry.message =
        error?.message ?? inventory?.status.reasons.map((x) => x.message).join('; ') ?? 'scan failed';
      if (inventory)
        entry.outcome = {
          state: inventory.status.state,
          reasons: inventory.status.reasons.map((x) => x.code),
        };
      report.counts.failed++;
      passMode.set(job.instanceId, 'failed');
      if (bus)
        events.push(
          scanFailedEvent(
            {
              instanceId: job.instanceId,
              accountId: job.accountId,
              region: job.region,
              reason,
              message: entry.message,
            },
            bus,
            now,
          ),
        );
      log(`${job.instanceId}: ${reason}: ${entry.message}`);
      return;
    }
    delete entry.failed;
    delete entry.message;
    entry.lastScannedAt = now.toISOString();
    entry.outcome = { state: inventory.status.state, reasons: inventory.status.reasons.map((x) => x.code) };
    entry.packages = inventory.packages.length;
    if (job.method === 'agentless') sourceHintsOf(inventory, hints);
    const t1 = performance.now();
    const [m] = await findingsForInventories([inventory], ctx.store, () => now);
    phase.match = performance.now() - t1;
    const t2 = performance.now();
    await recordFindings(entry, m!.findings, inventory.status.state === 'complete', now);
    const invKey = objectKey(job.instanceId, 'inventory');
    await putObject(invKey, inventory);
    phase.state = performance.now() - t2;
    log(
      `${job.instanceId}: ${job.method} ${entry.reason}, ${inventory.packages.length} packages, ${m!.findings.length} findings (${Object.entries(
        phase,
      )
        .map(([k, v]) => `${k} ${Math.round(v)} ms`)
        .join(', ')})`,
    );
    if (entry.inventoryKey) replaced.push(entry.inventoryKey);
    entry.inventoryKey = invKey;
    handled.add(job.instanceId);
    passMode.set(job.instanceId, 'scanned');
    report.counts.scanned++;
    if (job.method === 'ssm') report.counts.ssm++;
    else report.counts.agentless++;
  };
  const worker = async () => {
    for (;;) {
      const job = await queue.receive(ctx.signal);
      if (!job) return;
      await sleep(Math.floor(random() * cfg.jitterMs), ctx.signal);
      if (ctx.signal?.aborted) return;
      try {
        await executeJob(job);
      } catch (err) {
        // Writing state failed (not the scan): the pass cannot complete.
        throw new ScanError('state-error', `${job.instanceId}: ${(err as Error).message}`, { cause: err });
      }
      await queue.ack(job);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.max(1, cfg.concurrency) }, worker));
    report.aborted = ctx.signal?.aborted ?? false;

    // ---- rematch ----
    const dataChanged = index.vulnData !== undefined && index.vulnData !== fingerprint;
    if (o.rematchOnly || dataChanged) {
      for (const entry of Object.values(next.instances)) {
        if (ctx.signal?.aborted) break;
        if (handled.has(entry.instanceId) || !entry.inventoryKey || entry.terminatedAt) continue;
        const inv = await getJson<Inventory>(state, entry.inventoryKey);
        if (!inv) continue;
        const now = ctx.now();
        const [m] = await findingsForInventories([inv], ctx.store, () => now);
        await recordFindings(entry, m!.findings, inv.status.state === 'complete', now);
        report.counts.rematched++;
      }
    }

    // ---- drop what has aged out ----
    for (const [id, entry] of Object.entries(next.instances)) {
      if (entry.terminatedAt && started.getTime() - Date.parse(entry.terminatedAt) > cfg.closedRetentionMs) {
        if (entry.findingsKey) replaced.push(entry.findingsKey);
        if (entry.inventoryKey) replaced.push(entry.inventoryKey);
        delete next.instances[id];
      }
    }

    // ---- export ----
    const results: ResourceResult[] = [];
    const coverage: CoverageRecord[] = [];
    for (const entry of Object.values(next.instances).sort((a, b) =>
      a.instanceId < b.instanceId ? -1 : 1,
    )) {
      const findings = await loadFindings(entry.findingsKey);
      const inv = entry.inventoryKey ? await getJson<Inventory>(state, entry.inventoryKey) : undefined;
      const rec: CoverageRecord = {
        resourceId: entry.instanceId,
        accountId: entry.accountId,
        region: entry.region,
        resourceType: 'AWS_EC2_INSTANCE',
        scanStatus: { statusCode: statusCodeOf(entry.reason), reason: entry.reason },
        pass: passMode.get(entry.instanceId) ?? 'kept',
      };
      if (entry.scanMode) rec.scanMode = entry.scanMode;
      if (entry.methodReason) rec.methodReason = entry.methodReason;
      if (entry.lastScannedAt) rec.lastScannedAt = entry.lastScannedAt;
      if (entry.outcome) rec.outcome = entry.outcome;
      if (entry.snapshots) rec.snapshots = entry.snapshots;
      if (entry.packages !== undefined) rec.packages = entry.packages;
      if (entry.message) rec.message = entry.message;
      rec.findings = countByStatus(findings);
      coverage.push(rec);
      if (inv || findings.length) {
        const resource = inv
          ? findingResource(inv)
          : { type: 'AWS_EC2_INSTANCE', id: entry.instanceId, region: entry.region };
        results.push({
          awsAccountId: entry.accountId,
          resource: Object.keys(entry.tags).length ? { ...resource, tags: entry.tags } : resource,
          ...(inv?.os ? { os: inv.os } : {}),
          packages: inv?.packages ?? [],
          findings,
          ...(inv ? {} : { noSbom: true }),
        });
      }
    }
    report.coverage = coverage;
    report.counts.instances = coverage.length;
    const byAccount = new Map<string, CoverageRecord[]>();
    for (const c of coverage) byAccount.set(c.accountId, [...(byAccount.get(c.accountId) ?? []), c]);
    if (hints.size !== hintsBefore) await putJson(state, HINTS_KEY, Object.fromEntries(hints));
    const manifest = await exportRun(ctx.sink, results, {
      runId: passId,
      startedAt: started,
      tool: TOOL,
      clock: ctx.now,
      ...(ctx.exportPrefix ? { prefix: ctx.exportPrefix } : {}),
      coverage: [...byAccount].map(([awsAccountId, records]) => ({ awsAccountId, records })),
    });
    report.manifestKey = `findings/dt=${manifest.dt}/run=${passId}/manifest.json`;

    // ---- state index: last ----
    next.passId = passId;
    next.updatedAt = ctx.now().toISOString();
    next.vulnData = fingerprint;
    if (ctx.dbUpdatedAt) next.dbUpdatedAt = ctx.dbUpdatedAt;
    await putJson(state, INDEX_KEY, next);
    report.ok = true;
  } catch (err) {
    report.error = (err as Error).message;
    log(`pass ${passId} incomplete: ${report.error}`);
    // The index still points at the previous objects; what this pass wrote is unreferenced.
    for (const k of written) await state.delete(k).catch(() => {});
  }
  if (report.ok) {
    for (const k of replaced) await state.delete(k).catch(() => {});
    if (bus && ctx.clients.events && events.length) {
      try {
        report.events = await publishEvents(ctx.clients.events, events);
      } catch (err) {
        log(`events: ${(err as Error).message}`);
        report.events = { sent: 0, failed: events.length, calls: 0 };
      }
    }
  }
  if (!o.rematchOnly && report.snapshots.deleteFailed === 0) await state.delete(markerKey).catch(() => {});
  report.completedAt = ctx.now().toISOString();
  return report;
}

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
import type { AwsCredentialIdentityProvider } from '@aws-sdk/types';
import { ScanError } from '../engine/errors.js';
import { exportRun } from '../engine/export/index.js';
import type { ResourceResult } from '../engine/export/sbom-input.js';
import type { ExportSink } from '../engine/export/sink.js';
import type { Finding } from '../engine/findings/index.js';
import { writeHeartbeat } from '../engine/home.js';
import type { Inventory } from '../engine/inventory/types.js';
import { findingResource, LOCAL_ACCOUNT } from '../engine/scan/findings.js';
import { findingsForInventories } from '../engine/scan/scan-targets.js';
import { TOOL } from '../engine/version.js';
import type { VulnStore } from '../engine/vulndb/index.js';
import type { ScanPool } from '../workers/pool.js';
import { type AccountPlan, accountCoverage } from './accounts.js';
import { type CoverageRecord, type ScanMode, type ScanStatusReason, statusCodeOf } from './coverage.js';
import { chooseMethod, dueness, eligibility, type SchedulerMode } from './decide.js';
import { type DiscoveredInstance, discoverInstances } from './discover.js';
import { findingEvent, type PublishReport, publishEvents, scanFailedEvent } from './events.js';
import { type ExecuteDeps, executeJob, type JobResult } from './execute.js';
import { countByStatus, mergeFindings } from './findings-lifecycle.js';
import { runJanitor } from './janitor.js';
import { InProcessQueue, type JobQueue, type ScanJob } from './queue.js';
import { awaitResults, RESULTS_PREFIX, type RemoteScans, staleWorkerRuns } from './scale-out.js';
import { SqsJobQueue } from './sqs-queue.js';
import { describeManagedInstances, listApplications, type ManagedInstance } from './ssm.js';
import { platformOf, type SourceHint } from './ssm-inventory.js';
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
  /** Directories the language walk does not enter (`--lang-skip`; default DEFAULT_LANG_SKIP). */
  langSkip?: string[];
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
  /**
   * Clients of a region; `accountId` names a member account (absent, or the central account: the
   * scheduler's own credentials; a member: its assumed-role session, scheduler/accounts.ts).
   */
  ec2(region: string, accountId?: string): EC2Client;
  ssm(region: string, accountId?: string): SSMClient;
  sts: STSClient;
  events?: EventBridgeClient;
  /** Credentials for EBS direct reads in a member account (undefined: the standard chain). */
  credentials?(accountId: string): AwsCredentialIdentityProvider | undefined;
  /** Which accounts the pass covers (undefined: the central account alone). */
  planAccounts?(central: string, signal?: AbortSignal): Promise<AccountPlan>;
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
  /** Scale-out: jobs go to SQS and `snapscan worker`s scan them (scheduler --queue). */
  remote?: RemoteScans;
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
  /** Accounts covered, those whose role could not be assumed, and those Organizations lists as not ACTIVE. */
  accounts?: {
    scanned: string[];
    denied: { accountId: string; message: string }[];
    skipped: { accountId: string; status: string }[];
  };
}

export const INDEX_KEY = 'index.json';
const HINTS_KEY = 'hints/dpkg-source.json';
/** A pass's marker lives here while it runs (`passes/PASS.json`); workers skip jobs of passes without one. */
export const PASSES_PREFIX = 'passes/';

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

  const accountId = await (async () => {
    try {
      return (await ctx.clients.sts.send(new GetCallerIdentityCommand({}))).Account ?? LOCAL_ACCOUNT;
    } catch (err) {
      log(`sts GetCallerIdentity: ${(err as Error).message} (account recorded as "${LOCAL_ACCOUNT}")`);
      return LOCAL_ACCOUNT;
    }
  })();

  // Accounts: the central one alone, or the listed/organization accounts whose role could be assumed.
  const accountPlan: AccountPlan =
    !o.rematchOnly && ctx.clients.planAccounts
      ? await ctx.clients.planAccounts(accountId, ctx.signal)
      : { accounts: [{ accountId, central: true }], denied: [], skipped: [] };
  const multiAccount = ctx.clients.planAccounts !== undefined;
  const deniedAccounts = new Map(accountPlan.denied.map((d) => [d.accountId, d.error.message]));
  report.accounts = {
    scanned: accountPlan.accounts.map((a) => a.accountId),
    denied: accountPlan.denied.map((d) => ({ accountId: d.accountId, message: d.error.message })),
    skipped: accountPlan.skipped,
  };

  // Janitor, per account × region: snapshots of passes that never finished (their marker is still
  // there) and of workers that died (stale heartbeat), then expired ones. Each account's snapshots
  // are listed and deleted with its own session. An account not entered this pass may still hold a
  // dead pass's snapshots: they carry snapscan:expires-at, so the expiry rule deletes them once the
  // account is reachable again (the markers are not kept for it: they would pile up forever).
  const janitorEverywhere = async (deadRuns: ReadonlySet<string>): Promise<{ ok: boolean }> => {
    let ok = true;
    for (const account of accountPlan.accounts) {
      for (const region of cfg.regions) {
        try {
          const j = await runJanitor(ctx.clients.ec2(region, account.accountId), {
            now: ctx.now(),
            deadRuns,
            ...(ctx.signal ? { signal: ctx.signal } : {}),
          });
          report.janitor.deleted += j.deleted.length;
          report.janitor.failed += j.failed.length;
          if (j.failed.length) ok = false;
        } catch (err) {
          ok = false;
          log(`janitor ${multiAccount ? `${account.accountId} ` : ''}${region}: ${(err as Error).message}`);
        }
      }
    }
    return { ok };
  };
  const markers = (await state.list(PASSES_PREFIX)).filter((k) => k.endsWith('.json'));
  const deadRuns = new Set(markers.map((k) => k.slice(PASSES_PREFIX.length, -'.json'.length)));
  if (!o.rematchOnly) {
    const staleWorkers = ctx.remote
      ? await staleWorkerRuns(state, started, ctx.remote.workerStaleMs)
      : { runIds: new Set<string>(), keys: [] };
    for (const r of staleWorkers.runIds) deadRuns.add(r);
    if ((await janitorEverywhere(deadRuns)).ok)
      for (const m of [...markers, ...staleWorkers.keys]) await state.delete(m);
    if (ctx.remote) await dropOrphanResults(state, index, log);
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

  // ---- plan ----
  const jobs: ScanJob[] = [];
  /** Instances scanned this pass (not re-matched again), and those whose result was applied. */
  const handled = new Set<string>();
  const applied = new Set<string>();
  const planTargets = o.rematchOnly
    ? []
    : accountPlan.accounts.flatMap((a) => cfg.regions.map((region) => ({ accountId: a.accountId, region })));
  for (const { accountId, region } of planTargets) {
    const ec2 = ctx.clients.ec2(region, accountId);
    const instances: DiscoveredInstance[] = await discoverInstances(ec2, region, ctx.signal);
    let managed = new Map<string, ManagedInstance>();
    if (cfg.mode !== 'agentless') {
      try {
        managed = await describeManagedInstances(ctx.clients.ssm(region, accountId), ctx.signal);
      } catch (err) {
        // SSM unreachable or denied: every instance counts as unmanaged this pass (hybrid falls back
        // to snapshots, ssm-only records UNMANAGED_EC2_INSTANCE); the pass goes on.
        if (ctx.signal?.aborted) throw err;
        log(
          `ssm ${multiAccount ? `${accountId} ` : ''}${region}: DescribeInstanceInformation: ${(err as Error).name}: ${(err as Error).message}`,
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
            await listApplications(ctx.clients.ssm(region, accountId), inst.instanceId, {
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
    // (With several accounts, only this account's: another account's instances are listed there.)
    for (const entry of Object.values(next.instances)) {
      if (
        entry.region === region &&
        (!multiAccount || entry.accountId === accountId) &&
        !seen.has(entry.instanceId) &&
        !entry.terminatedAt
      )
        await terminate(entry);
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
  /** Folds one job's result into the instance's history (both paths: in-process and workers). */
  const applyResult = async (result: JobResult): Promise<void> => {
    const job = result.job;
    const entry = next.instances[job.instanceId];
    if (!entry || applied.has(job.instanceId)) return;
    applied.add(job.instanceId);
    const now = new Date(Date.parse(result.completedAt) || ctx.now().getTime());
    if (result.snapshots) {
      report.snapshots.created += result.snapshots.created.length;
      report.snapshots.reused += result.snapshots.reused.length;
      report.snapshots.deleteFailed += result.snapshots.deleteFailed;
      entry.snapshots = { created: result.snapshots.created, reused: result.snapshots.reused };
    }
    entry.lastAttemptAt = result.completedAt;
    entry.scanMode = result.scanMode;
    if (job.methodReason) entry.methodReason = job.methodReason as ScanStatusReason;
    else delete entry.methodReason;
    entry.reason = result.reason;
    if (result.ssmCaptureTime) entry.ssmCaptureTime = result.ssmCaptureTime;
    if (result.outcome) entry.outcome = result.outcome;
    if (!result.inventoryKey) {
      entry.failed = true;
      entry.message = result.message ?? 'scan failed';
      report.counts.failed++;
      passMode.set(job.instanceId, 'failed');
      if (bus)
        events.push(
          scanFailedEvent(
            {
              instanceId: job.instanceId,
              accountId: job.accountId,
              region: job.region,
              reason: result.reason,
              message: entry.message,
            },
            bus,
            now,
          ),
        );
      log(`${job.instanceId}: ${result.reason}: ${entry.message}`);
      return;
    }
    written.push(result.inventoryKey);
    delete entry.failed;
    delete entry.message;
    entry.lastScannedAt = result.completedAt;
    if (result.packages !== undefined) entry.packages = result.packages;
    for (const [k, h] of Object.entries(result.sourceHints ?? {})) hints.set(k, h);
    const t2 = performance.now();
    const findings = result.findings ?? [];
    await recordFindings(entry, findings, result.outcome?.state === 'complete', now);
    const phase = { ...result.phaseMs, state: (result.phaseMs.state ?? 0) + performance.now() - t2 };
    log(
      `${job.instanceId}: ${job.method} ${entry.reason}, ${entry.packages ?? 0} packages, ${findings.length} findings${result.worker ? ` (${result.worker})` : ''} (${Object.entries(
        phase,
      )
        .map(([k, v]) => `${k} ${Math.round(v)} ms`)
        .join(', ')})`,
    );
    if (entry.inventoryKey && entry.inventoryKey !== result.inventoryKey) replaced.push(entry.inventoryKey);
    entry.inventoryKey = result.inventoryKey;
    handled.add(job.instanceId);
    passMode.set(job.instanceId, 'scanned');
    report.counts.scanned++;
    if (job.method === 'ssm') report.counts.ssm++;
    else report.counts.agentless++;
  };
  const execDeps: ExecuteDeps = {
    cfg,
    clients: ctx.clients,
    pool: ctx.pool,
    store: ctx.store,
    state,
    hints,
    now: ctx.now,
    runId: passId,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  };
  const queue = ctx.queue ?? new InProcessQueue();
  const worker = async () => {
    for (;;) {
      const job = await queue.receive(ctx.signal);
      if (!job) return;
      await sleep(Math.floor(random() * cfg.jitterMs), ctx.signal);
      if (ctx.signal?.aborted) return;
      try {
        const out = await executeJob(job, execDeps);
        if (out) await applyResult(out.result);
      } catch (err) {
        // Writing state failed (not the scan): the pass cannot complete.
        throw new ScanError('state-error', `${job.instanceId}: ${(err as Error).message}`, { cause: err });
      }
      await queue.ack(job);
    }
  };
  /** Scale-out: the jobs go to SQS, workers scan them, results come back through the state store. */
  const remoteScans = async (remote: RemoteScans) => {
    const sqsQueue = new SqsJobQueue(remote.sqs, remote.queueUrl);
    // The marker records what was queued (an operator can see what a pass waits for).
    await putJson(state, markerKey, {
      passId,
      startedAt: report.startedAt,
      pid: process.pid,
      queue: remote.queueUrl,
      jobs: jobs.map((j) => `${j.accountId}/${j.region}/${j.instanceId}`),
    });
    await sqsQueue.send(jobs);
    log(`pass ${passId}: ${jobs.length} jobs sent to ${remote.queueUrl}`);
    const left = await awaitResults({
      remote,
      state,
      passId,
      jobs,
      onResult: (r) => applyResult(r),
      onIdle: async () => {
        try {
          // The planner is alive while it waits (the container's health check reads this).
          writeHeartbeat(`pass ${passId}: waiting for ${jobs.length - applied.size} result(s)`);
        } catch {
          // advisory
        }
        const stale = await staleWorkerRuns(state, ctx.now(), remote.workerStaleMs);
        if (stale.runIds.size === 0) return;
        const j = await janitorEverywhere(stale.runIds);
        if (j.ok) for (const k of stale.keys) await state.delete(k).catch(() => {});
      },
      now: ctx.now,
      ...(ctx.signal ? { signal: ctx.signal } : {}),
      log,
    });
    for (const job of left) {
      passMode.set(job.instanceId, 'queued');
      log(`${job.instanceId}: no result by the end of the pass (still queued)`);
    }
  };
  try {
    if (ctx.remote) await remoteScans(ctx.remote);
    else {
      await queue.send(jobs);
      await Promise.all(Array.from({ length: Math.max(1, cfg.concurrency) }, worker));
    }
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
      const unreachable = deniedAccounts.get(entry.accountId);
      if (unreachable !== undefined && !passMode.has(entry.instanceId)) {
        // Not looked at this pass (its account's role could not be assumed): its last record, said so.
        rec.pass = 'skipped';
        rec.message = `account ${entry.accountId} not entered this pass: ${unreachable}`;
      }
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
    report.counts.instances = coverage.length;
    coverage.push(...accountCoverage(accountPlan, cfg.regions));
    report.coverage = coverage;
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
    if (ctx.remote)
      for (const k of await state.list(`${RESULTS_PREFIX}${passId}/`)) await state.delete(k).catch(() => {});
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

/**
 * Results of earlier passes that a worker wrote after its planner stopped waiting: their inventory
 * is unreferenced (unless the index points at it) and the result is no longer awaited.
 */
async function dropOrphanResults(state: StateStore, index: StateIndex, log: (l: string) => void) {
  const referenced = new Set(Object.values(index.instances).map((e) => e.inventoryKey));
  let n = 0;
  for (const key of await state.list(RESULTS_PREFIX)) {
    const r = await getJson<JobResult>(state, key).catch(() => undefined);
    if (r?.inventoryKey && !referenced.has(r.inventoryKey))
      await state.delete(r.inventoryKey).catch(() => {});
    await state.delete(key).catch(() => {});
    n++;
  }
  if (n) log(`scale-out: ${n} result(s) of earlier passes dropped`);
}

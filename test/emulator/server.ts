/**
 * Wire-level AWS emulator: one node:http server that the real SDK v3 clients talk to over HTTP, so
 * signing, serialisation, error parsing, streaming bodies and connection handling are all the real
 * thing. Nothing here mocks a client.
 *
 * Each AWS service is a module in services/ registered in services/index.ts; this file routes a
 * request to one of them (services/types.ts says how: X-Amz-Target, Query `Action`, REST path),
 * counts it, injects faults, and holds the EC2 world the EC2 and EBS services share: volumes backed
 * by raw image files, instances with block device mappings, snapshots (a snapshot of a volume serves
 * that volume's image). Faults are decided per options (faults.ts), deterministically from a seed.
 *
 * Accounts: every volume, instance and snapshot lives in one account (`accountId`, default
 * `options.accountId`). A request acts as the account of its SigV4 access key id: a key STS
 * AssumeRole handed out acts as the role's account (and is refused with ExpiredToken once its
 * session expired); any other key acts as the default account. EC2, EBS direct and SSM show a caller
 * only its own account's resources, so tests can prove which credentials touched what.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_FAULT_ACTIONS, type FaultOptions, latencyMs, unit } from './faults.js';
import { EMULATOR_BLOCK_BYTES, ImageStore } from './images.js';
import { HttpFault, readBody, signingService } from './protocol.js';
import { type EmulatorCall, type EmulatorService, SERVICES, type Services } from './services/index.js';

export { EMULATOR_BLOCK_BYTES };

const GiB = 1024 ** 3;
const MAX_FORM_BYTES = 1024 * 1024;

export type SnapshotState = 'pending' | 'completed' | 'error';
export type InstanceStateName =
  | 'pending'
  | 'running'
  | 'shutting-down'
  | 'terminated'
  | 'stopping'
  | 'stopped';

export interface EmulatorOptions {
  seed?: number;
  host?: string;
  port?: number;
  accountId?: string;
  region?: string;
  faults?: FaultOptions;
  /** Block and page tokens expire this long after they are issued (EBS: hours). */
  tokenTtlMs?: number;
  /** Added to the ExpiryTime the server reports (not to the one it enforces): a skewed clock. */
  advertisedExpiryExtraMs?: number;
  /** Server-side cap on blocks per ListSnapshotBlocks page, whatever MaxResults asks. */
  maxPageSize?: number;
  /** New snapshots stay `pending` for this many DescribeSnapshots answers that include them. */
  pendingDescribes?: number;
  /** State a new snapshot reaches after pending. */
  finalState?: 'completed' | 'error';
}

export interface VolumeSpec {
  volumeId?: string;
  imagePath: string;
  /** Defaults to the image size rounded up to whole GiB. */
  sizeGiB?: number;
  availabilityZone?: string;
  encrypted?: boolean;
  /** Encrypted and the caller lacks kms:Decrypt: EBS direct answers AccessDeniedException. */
  kmsDenied?: boolean;
  /** KMS key ARN shown by DescribeVolumes/DescribeSnapshots (default: an emulated key when encrypted). */
  kmsKeyId?: string;
  tags?: Record<string, string>;
  /** The account the volume (and its snapshots) live in (default `options.accountId`). */
  accountId?: string;
}

export interface InstanceSpec {
  instanceId?: string;
  volumes: { volumeId: string; device: string }[];
  rootDeviceName?: string;
  tags?: Record<string, string>;
  /** Default `running`. */
  state?: InstanceStateName;
  imageId?: string;
  instanceType?: string;
  launchTime?: Date;
  /** DescribeInstances PlatformDetails (default `Linux/UNIX`). */
  platformDetails?: string;
  /** Default: the account of its volumes (which must all be in one account). */
  accountId?: string;
}

export interface SnapshotRecord {
  snapshotId: string;
  volumeId: string;
  imagePath: string;
  sizeGiB: number;
  encrypted: boolean;
  kmsDenied: boolean;
  kmsKeyId: string | undefined;
  ownerId: string;
  /** The account it lives in (who sees it); `ownerId` differs for a snapshot shared with that account. */
  accountId: string;
  description: string;
  startTime: Date;
  tags: Record<string, string>;
  describes: number;
  pendingDescribes: number;
  finalState: 'completed' | 'error';
  deleted: boolean;
}

export interface VolumeRecord {
  volumeId: string;
  imagePath: string;
  sizeGiB: number;
  az: string;
  encrypted: boolean;
  kmsDenied: boolean;
  kmsKeyId: string | undefined;
  tags: Record<string, string>;
  accountId: string;
}

export interface InstanceRecord {
  instanceId: string;
  volumes: { volumeId: string; device: string }[];
  rootDeviceName: string;
  tags: Record<string, string>;
  state: InstanceStateName;
  imageId: string;
  instanceType: string;
  launchTime: Date;
  platformDetails: string;
  availabilityZone: string | undefined;
  accountId: string;
}

/** Runs before the request with this action is answered (after counting): e.g. remove an instance mid-scan. */
export type RequestHook = (action: string, count: number) => void;

export class Emulator {
  private server: Server | undefined;
  readonly images = new ImageStore(EMULATOR_BLOCK_BYTES);
  readonly volumes = new Map<string, VolumeRecord>();
  readonly instances = new Map<string, InstanceRecord>();
  readonly snapshotsById = new Map<string, SnapshotRecord>();
  /** Requests received, by action (faulted ones included). */
  readonly counts: Record<string, number> = {};
  /** Faults injected, by kind. */
  readonly injected: Record<string, number> = {};
  /** Requests received, by service id (`ebs`, `ec2`, `s3`, …) then action. */
  readonly countsByService: Record<string, Record<string, number>> = {};
  /** Requests received, by the account they acted as (callerOf) then action. */
  readonly countsByAccount: Record<string, Record<string, number>> = {};
  /** Each service's module, with its own state and test accessors (`emu.services.s3.objects()`). */
  readonly services: Services;
  private readonly attempts = new Map<string, number>();
  private readonly hooks: RequestHook[] = [];
  private nextId = 1;
  options: Required<Omit<EmulatorOptions, 'faults' | 'host' | 'port'>> & { faults: FaultOptions };
  endpoint = '';

  constructor(options: EmulatorOptions = {}) {
    this.options = {
      seed: options.seed ?? 1,
      accountId: options.accountId ?? '123456789012',
      region: options.region ?? 'us-east-1',
      faults: options.faults ?? {},
      tokenTtlMs: options.tokenTtlMs ?? 60 * 60 * 1000,
      advertisedExpiryExtraMs: options.advertisedExpiryExtraMs ?? 0,
      maxPageSize: options.maxPageSize ?? 10_000,
      pendingDescribes: options.pendingDescribes ?? 0,
      finalState: options.finalState ?? 'completed',
    };
    this.services = Object.fromEntries(
      Object.entries(SERVICES).map(([key, make]) => [key, make(this)]),
    ) as Services;
  }

  /** Changes options for the rest of the run (faults between phases of a test). */
  configure(options: Partial<EmulatorOptions>): void {
    Object.assign(this.options, options);
  }

  async start(host = '127.0.0.1', port = 0): Promise<string> {
    this.server = createServer((req, res) => {
      this.handle(req, res).catch((err) => {
        if (!res.headersSent) {
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(String(err?.stack ?? err));
        } else res.destroy();
      });
    });
    // Longer than any test idles a pooled socket: a server closing a keep-alive socket while the
    // client reuses it is a reset nobody injected.
    this.server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve, reject) => {
      this.server!.once('error', reject);
      this.server!.listen(port, host, () => resolve());
    });
    const addr = this.server.address() as AddressInfo;
    this.endpoint = `http://${host}:${addr.port}`;
    return this.endpoint;
  }

  async close(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (s) {
      s.closeAllConnections();
      await new Promise<void>((resolve) => s.close(() => resolve()));
    }
    await this.images.close();
  }

  // ---- registration -------------------------------------------------------------------------

  /** A fresh id: `prefix-` and 17 hex digits, as EC2 writes them. */
  id(prefix: string): string {
    return `${prefix}-${(this.nextId++).toString(16).padStart(17, '0')}`;
  }

  async addVolume(spec: VolumeSpec): Promise<string> {
    const size = await this.images.fileSize(spec.imagePath);
    const volumeId = spec.volumeId ?? this.id('vol');
    const encrypted = spec.encrypted ?? spec.kmsDenied ?? false;
    const accountId = spec.accountId ?? this.options.accountId;
    this.volumes.set(volumeId, {
      volumeId,
      imagePath: spec.imagePath,
      sizeGiB: spec.sizeGiB ?? Math.max(1, Math.ceil(size / GiB)),
      az: spec.availabilityZone ?? `${this.options.region}a`,
      encrypted,
      kmsDenied: spec.kmsDenied ?? false,
      kmsKeyId: encrypted
        ? (spec.kmsKeyId ??
          `arn:aws:kms:${this.options.region}:${accountId}:key/00000000-0000-4000-8000-${volumeId.slice(-12)}`)
        : undefined,
      tags: { ...spec.tags },
      accountId,
    });
    return volumeId;
  }

  addInstance(spec: InstanceSpec): string {
    const instanceId = spec.instanceId ?? this.id('i');
    const accountId =
      spec.accountId ??
      this.volumes.get(spec.volumes[0]?.volumeId ?? '')?.accountId ??
      this.options.accountId;
    for (const v of spec.volumes) {
      const vol = this.volumes.get(v.volumeId);
      if (!vol) throw new Error(`no volume ${v.volumeId}`);
      if (vol.accountId !== accountId)
        throw new Error(`volume ${v.volumeId} is in account ${vol.accountId}, not ${accountId}`);
    }
    this.instances.set(instanceId, {
      instanceId,
      volumes: spec.volumes.map((v) => ({ ...v })),
      rootDeviceName: spec.rootDeviceName ?? spec.volumes[0]?.device ?? '/dev/xvda',
      tags: { ...spec.tags },
      state: spec.state ?? 'running',
      imageId: spec.imageId ?? 'ami-0123456789abcdef0',
      instanceType: spec.instanceType ?? 't3.micro',
      launchTime: spec.launchTime ?? new Date(Date.UTC(2026, 0, 1)),
      platformDetails: spec.platformDetails ?? 'Linux/UNIX',
      availabilityZone: this.volumes.get(spec.volumes[0]?.volumeId ?? '')?.az ?? `${this.options.region}a`,
      accountId,
    });
    return instanceId;
  }

  /** Stops, starts or terminates an instance (DescribeInstances shows it; a terminated one has no volumes). */
  setInstanceState(instanceId: string, state: InstanceStateName): void {
    const i = this.instances.get(instanceId);
    if (!i) throw new Error(`no instance ${instanceId}`);
    i.state = state;
  }

  /** The instance vanishes: every call naming it answers InvalidInstanceID.NotFound from now on. */
  removeInstance(instanceId: string): void {
    if (!this.instances.delete(instanceId)) throw new Error(`no instance ${instanceId}`);
  }

  /** A snapshot that already exists (completed unless told otherwise). */
  addSnapshot(
    volumeId: string,
    extra: {
      tags?: Record<string, string>;
      state?: SnapshotState;
      ownerId?: string;
      snapshotId?: string;
      description?: string;
      startTime?: Date;
    } = {},
  ): string {
    const s = this.newSnapshot(volumeId, extra.description ?? '', extra.tags ?? {});
    if (extra.snapshotId) {
      this.snapshotsById.delete(s.snapshotId);
      s.snapshotId = extra.snapshotId;
      this.snapshotsById.set(s.snapshotId, s);
    }
    if (extra.ownerId) s.ownerId = extra.ownerId;
    if (extra.startTime) s.startTime = extra.startTime;
    const state = extra.state ?? 'completed';
    s.pendingDescribes = state === 'pending' ? Number.MAX_SAFE_INTEGER : 0;
    s.finalState = state === 'error' ? 'error' : 'completed';
    return s.snapshotId;
  }

  /**
   * A snapshot a backup tool made (not snapscan): AWS Backup or Data Lifecycle Manager tags and
   * description, started `ageMs` ago. snapscan may read it but must never delete it.
   */
  addBackupSnapshot(
    volumeId: string,
    o: { tool?: 'aws-backup' | 'dlm'; ageMs?: number; now?: Date; state?: SnapshotState } = {},
  ): string {
    const tool = o.tool ?? 'aws-backup';
    const startTime = new Date((o.now ?? new Date()).getTime() - (o.ageMs ?? 3 * 60 * 60 * 1000));
    const account = this.volumes.get(volumeId)?.accountId ?? this.options.accountId;
    const region = this.options.region;
    const backup = {
      description: `This snapshot is created by the AWS Backup service.`,
      tags: { 'aws:backup:source-resource': `arn:aws:ec2:${region}:${account}:volume/${volumeId}` },
    };
    const dlm = {
      description: 'Created for policy: policy-0123456789abcdef0 schedule: Default Schedule',
      tags: {
        'aws:dlm:lifecycle-policy-id': 'policy-0123456789abcdef0',
        'aws:dlm:lifecycle-schedule-name': 'Default Schedule',
      },
    };
    const kind = tool === 'dlm' ? dlm : backup;
    return this.addSnapshot(volumeId, { ...kind, startTime, ...(o.state ? { state: o.state } : {}) });
  }

  /**
   * Creates a snapshot record (CreateSnapshot(s) and addSnapshot) in the volume's account; with
   * `callerAccount` (a request), a volume of another account is not found, as EC2 answers.
   */
  newSnapshot(
    volumeId: string,
    description: string,
    tags: Record<string, string>,
    callerAccount?: string,
  ): SnapshotRecord {
    const vol = this.volumes.get(volumeId);
    if (!vol || (callerAccount !== undefined && vol.accountId !== callerAccount))
      throw new HttpFault(400, 'InvalidVolume.NotFound', `The volume '${volumeId}' does not exist.`);
    const s: SnapshotRecord = {
      snapshotId: this.id('snap'),
      volumeId,
      imagePath: vol.imagePath,
      sizeGiB: vol.sizeGiB,
      encrypted: vol.encrypted,
      kmsDenied: vol.kmsDenied,
      kmsKeyId: vol.kmsKeyId,
      ownerId: vol.accountId,
      accountId: vol.accountId,
      description,
      startTime: new Date(),
      tags: { ...tags },
      describes: 0,
      pendingDescribes: this.options.pendingDescribes,
      finalState: this.options.finalState,
      deleted: false,
    };
    this.snapshotsById.set(s.snapshotId, s);
    return s;
  }

  /** Live (not deleted) snapshots, for assertions; with `accountId`, only those living in that account. */
  snapshots(accountId?: string): SnapshotRecord[] {
    return [...this.snapshotsById.values()].filter(
      (s) => !s.deleted && (accountId === undefined || s.accountId === accountId),
    );
  }

  /**
   * The account a request acts as, from its SigV4 access key id (Authorization header, or
   * X-Amz-Credential of a presigned URL): an AssumeRole session's account, else the default one.
   * `expired` when the key belongs to a session past its expiration.
   */
  callerOf(req: IncomingMessage, url: URL): { account: string; expired: boolean } {
    const auth = String(req.headers.authorization ?? '');
    const akid =
      /Credential=([^/,\s]+)\//.exec(auth)?.[1] ?? url.searchParams.get('X-Amz-Credential')?.split('/')[0];
    const session = akid ? this.services.sts.sessions.get(akid) : undefined;
    if (!session) return { account: this.options.accountId, expired: false };
    return { account: session.account, expired: session.expiration.getTime() <= Date.now() };
  }

  stateOf(s: SnapshotRecord): SnapshotState {
    return s.describes >= s.pendingDescribes ? s.finalState : 'pending';
  }

  /** Called with (action, count) before each request is answered; returns a function that removes it. */
  onRequest(hook: RequestHook): () => void {
    this.hooks.push(hook);
    return () => {
      const i = this.hooks.indexOf(hook);
      if (i >= 0) this.hooks.splice(i, 1);
    };
  }

  /** Clears the request counters and the per-key attempt numbers fault decisions use. */
  resetCounts(): void {
    this.attempts.clear();
    for (const k of Object.keys(this.counts)) delete this.counts[k];
    for (const k of Object.keys(this.injected)) delete this.injected[k];
    for (const k of Object.keys(this.countsByService)) delete this.countsByService[k];
    for (const k of Object.keys(this.countsByAccount)) delete this.countsByAccount[k];
  }

  // ---- dispatch -----------------------------------------------------------------------------

  private count(action: string): void {
    this.counts[action] = (this.counts[action] ?? 0) + 1;
  }

  /** Records an injected fault (services call it for their own fault kinds). */
  inject(kind: string): void {
    this.injected[kind] = (this.injected[kind] ?? 0) + 1;
  }

  /** How many times a fault key has been seen (services with per-attempt faults read it). */
  attemptsOf(key: string): number | undefined {
    return this.attempts.get(key);
  }

  private attempt(key: string): number {
    const n = this.attempts.get(key) ?? 0;
    this.attempts.set(key, n + 1);
    return n;
  }

  private async route(
    req: IncomingMessage,
    url: URL,
  ): Promise<
    | {
        service: EmulatorService;
        call: Omit<EmulatorCall, 'res' | 'account'>;
        faultKey?: string;
        badJson?: boolean;
      }
    | undefined
  > {
    const all = Object.values(this.services) as EmulatorService[];
    const signing = signingService(req, url);
    const target = req.headers['x-amz-target'];
    if (typeof target === 'string' && req.method === 'POST') {
      const dot = target.lastIndexOf('.');
      const service = all.find((s) => s.jsonTargetPrefix === target.slice(0, dot));
      if (!service) return undefined;
      const body = await readBody(req, MAX_FORM_BYTES);
      let json: Record<string, unknown> | undefined;
      try {
        const parsed: unknown = body.length ? JSON.parse(body.toString('utf8')) : {};
        if (parsed && typeof parsed === 'object' && !Array.isArray(parsed))
          json = parsed as Record<string, unknown>;
      } catch {
        // answered below as SerializationException, after counting
      }
      return {
        service,
        call: { req, url, action: target.slice(dot + 1), ...(json ? { json } : {}), signingService: signing },
        ...(json ? {} : { badJson: true }),
      };
    }
    const type = req.headers['content-type'] ?? '';
    if (
      req.method === 'POST' &&
      url.pathname === '/' &&
      type.startsWith('application/x-www-form-urlencoded')
    ) {
      const form = new URLSearchParams((await readBody(req, MAX_FORM_BYTES)).toString('utf8'));
      const action = form.get('Action') ?? '';
      const service = all.find((s) => s.queryActions?.includes(action)) ?? this.services.ec2;
      return { service, call: { req, url, action: action || 'Unknown', form, signingService: signing } };
    }
    for (const service of all) {
      const m = service.restOperation?.(req, url, signing);
      if (m)
        return {
          service,
          call: { req, url, action: m.action, signingService: signing },
          faultKey: m.faultKey,
        };
    }
    return undefined;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const routed = await this.route(req, url);
    if (!routed) {
      this.count('Unknown');
      req.resume();
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end(`emulator: no route for ${req.method} ${url.pathname}`);
      return;
    }
    const { service } = routed;
    const caller = this.callerOf(req, url);
    const call: EmulatorCall = { ...routed.call, res, account: caller.account };
    this.count(call.action);
    const perService = this.countsByService[service.id] ?? {};
    this.countsByService[service.id] = perService;
    perService[call.action] = (perService[call.action] ?? 0) + 1;
    const perAccount = this.countsByAccount[call.account] ?? {};
    this.countsByAccount[call.account] = perAccount;
    perAccount[call.action] = (perAccount[call.action] ?? 0) + 1;
    for (const hook of [...this.hooks]) hook(call.action, this.counts[call.action]!);
    const key = routed.faultKey ?? `${call.action}|${this.counts[call.action]}`;
    if (await this.faults(service, call.action, key, res)) return;
    if (caller.expired) {
      req.resume();
      service.sendFault(call, 400, 'ExpiredToken', 'The security token included in the request is expired');
      return;
    }
    if (routed.badJson) {
      service.sendFault(call, 400, 'SerializationException', 'The request body is not a JSON object.');
      return;
    }
    try {
      await service.handle(call);
    } catch (err) {
      if (err instanceof HttpFault && !res.headersSent) {
        service.sendFault(call, err.status, err.errorCode, err.message, err.reason);
      } else throw err;
    }
  }

  /** Whether the configured fault `actions` cover this operation (`Action`, `'*'`, `'SERVICE:*'`). */
  faultsApply(serviceId: string, action: string): boolean {
    const actions = this.options.faults.actions ?? DEFAULT_FAULT_ACTIONS;
    return actions.includes(action) || actions.includes('*') || actions.includes(`${serviceId}:*`);
  }

  /** Applies latency and the rate-based faults. Returns true when the request was answered. */
  private async faults(
    service: EmulatorService,
    action: string,
    key: string,
    res: ServerResponse,
  ): Promise<boolean> {
    const f = this.options.faults;
    const n = this.attempt(`${action}|${key}`);
    if (!this.faultsApply(service.id, action)) return false;
    const seed = this.options.seed;
    const delay = latencyMs(f.latency, seed, key, n);
    if (delay > 0) await new Promise((r) => setTimeout(r, delay));
    if ((f.resetRate ?? 0) > unit(seed, 'reset', action, key, n)) {
      this.inject('reset');
      res.socket?.destroy();
      return true;
    }
    if ((f.throttleRate ?? 0) > unit(seed, 'throttle', action, key, n)) {
      this.inject('throttle');
      service.faultReplies.throttle(res, unit(seed, 'throttle-shape', key, n));
      return true;
    }
    if ((f.serverErrorRate ?? 0) > unit(seed, '5xx', action, key, n)) {
      this.inject('5xx');
      service.faultReplies.serverError(res, unit(seed, '5xx-shape', key, n));
      return true;
    }
    return false;
  }
}

/** Starts an emulator on a free loopback port. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = new Emulator(options);
  await emu.start(options.host ?? '127.0.0.1', options.port ?? 0);
  return emu;
}

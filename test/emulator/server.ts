/**
 * Wire-level AWS emulator: one node:http server that the real SDK v3 clients talk to over HTTP, so
 * signing, serialisation, error parsing, streaming bodies and connection handling are all the real
 * thing. Nothing here mocks a client.
 *
 *   EBS direct (REST-JSON, API 2019-11-02)
 *     GET /snapshots/{id}/blocks?maxResults&pageToken&startingBlockIndex          ListSnapshotBlocks
 *     GET /snapshots/{id}/blocks/{index}?blockToken=…                              GetSnapshotBlock
 *     GET /snapshots/{second}/changedblocks?firstSnapshotId&maxResults&pageToken   ListChangedBlocks
 *   EC2 Query (POST /, form-encoded Action=…, XML answers, API 2016-11-15)
 *     DescribeInstances DescribeVolumes CreateSnapshot CreateSnapshots DescribeSnapshots
 *     DeleteSnapshot CreateTags
 *   STS Query: GetCallerIdentity
 *
 * State: volumes backed by raw image files, instances with block device mappings, snapshots (a
 * snapshot of a volume serves that volume's image). Faults are injected per options (faults.ts),
 * deterministically from a seed. Every request is counted by action.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DEFAULT_FAULT_ACTIONS, type FaultOptions, latencyMs, unit } from './faults.js';
import { ImageStore, sha256b64 } from './images.js';
import { document, type XmlNode, type XmlValue } from './xml.js';

export const EMULATOR_BLOCK_BYTES = 512 * 1024;
const GiB = 1024 ** 3;
const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';
const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';
const MAX_FORM_BYTES = 1024 * 1024;

export type SnapshotState = 'pending' | 'completed' | 'error';

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
  tags?: Record<string, string>;
}

export interface InstanceSpec {
  instanceId?: string;
  volumes: { volumeId: string; device: string }[];
  rootDeviceName?: string;
  tags?: Record<string, string>;
}

export interface SnapshotRecord {
  snapshotId: string;
  volumeId: string;
  imagePath: string;
  sizeGiB: number;
  encrypted: boolean;
  kmsDenied: boolean;
  ownerId: string;
  description: string;
  startTime: Date;
  tags: Record<string, string>;
  describes: number;
  pendingDescribes: number;
  finalState: 'completed' | 'error';
  deleted: boolean;
}

interface Volume {
  volumeId: string;
  imagePath: string;
  sizeGiB: number;
  az: string;
  encrypted: boolean;
  kmsDenied: boolean;
  tags: Record<string, string>;
}

interface Instance {
  instanceId: string;
  volumes: { volumeId: string; device: string }[];
  rootDeviceName: string;
  tags: Record<string, string>;
}

class HttpFault extends Error {
  constructor(
    readonly status: number,
    readonly errorCode: string,
    message: string,
    readonly reason?: string,
  ) {
    super(message);
  }
}

export class Emulator {
  private server: Server | undefined;
  readonly images = new ImageStore(EMULATOR_BLOCK_BYTES);
  readonly volumes = new Map<string, Volume>();
  readonly instances = new Map<string, Instance>();
  readonly snapshotsById = new Map<string, SnapshotRecord>();
  /** Requests received, by action (faulted ones included). */
  readonly counts: Record<string, number> = {};
  /** Faults injected, by kind. */
  readonly injected: Record<string, number> = {};
  private readonly attempts = new Map<string, number>();
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

  private id(prefix: string): string {
    return `${prefix}-${(this.nextId++).toString(16).padStart(17, '0')}`;
  }

  async addVolume(spec: VolumeSpec): Promise<string> {
    const size = await this.images.fileSize(spec.imagePath);
    const volumeId = spec.volumeId ?? this.id('vol');
    this.volumes.set(volumeId, {
      volumeId,
      imagePath: spec.imagePath,
      sizeGiB: spec.sizeGiB ?? Math.max(1, Math.ceil(size / GiB)),
      az: spec.availabilityZone ?? `${this.options.region}a`,
      encrypted: spec.encrypted ?? spec.kmsDenied ?? false,
      kmsDenied: spec.kmsDenied ?? false,
      tags: { ...spec.tags },
    });
    return volumeId;
  }

  addInstance(spec: InstanceSpec): string {
    const instanceId = spec.instanceId ?? this.id('i');
    for (const v of spec.volumes)
      if (!this.volumes.has(v.volumeId)) throw new Error(`no volume ${v.volumeId}`);
    this.instances.set(instanceId, {
      instanceId,
      volumes: spec.volumes.map((v) => ({ ...v })),
      rootDeviceName: spec.rootDeviceName ?? spec.volumes[0]?.device ?? '/dev/xvda',
      tags: { ...spec.tags },
    });
    return instanceId;
  }

  /** A snapshot that already exists (completed unless told otherwise). */
  addSnapshot(
    volumeId: string,
    extra: {
      tags?: Record<string, string>;
      state?: SnapshotState;
      ownerId?: string;
      snapshotId?: string;
    } = {},
  ): string {
    const s = this.newSnapshot(volumeId, '', extra.tags ?? {});
    if (extra.snapshotId) {
      this.snapshotsById.delete(s.snapshotId);
      s.snapshotId = extra.snapshotId;
      this.snapshotsById.set(s.snapshotId, s);
    }
    if (extra.ownerId) s.ownerId = extra.ownerId;
    const state = extra.state ?? 'completed';
    s.pendingDescribes = state === 'pending' ? Number.MAX_SAFE_INTEGER : 0;
    s.finalState = state === 'error' ? 'error' : 'completed';
    return s.snapshotId;
  }

  private newSnapshot(volumeId: string, description: string, tags: Record<string, string>): SnapshotRecord {
    const vol = this.volumes.get(volumeId);
    if (!vol) throw new HttpFault(400, 'InvalidVolume.NotFound', `The volume '${volumeId}' does not exist.`);
    const s: SnapshotRecord = {
      snapshotId: this.id('snap'),
      volumeId,
      imagePath: vol.imagePath,
      sizeGiB: vol.sizeGiB,
      encrypted: vol.encrypted,
      kmsDenied: vol.kmsDenied,
      ownerId: this.options.accountId,
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

  /** Live (not deleted) snapshots, for assertions. */
  snapshots(): SnapshotRecord[] {
    return [...this.snapshotsById.values()].filter((s) => !s.deleted);
  }

  stateOf(s: SnapshotRecord): SnapshotState {
    return s.describes >= s.pendingDescribes ? s.finalState : 'pending';
  }

  /** Clears the request counters and the per-key attempt numbers fault decisions use. */
  resetCounts(): void {
    this.attempts.clear();
    for (const k of Object.keys(this.counts)) delete this.counts[k];
    for (const k of Object.keys(this.injected)) delete this.injected[k];
  }

  // ---- dispatch -----------------------------------------------------------------------------

  private count(action: string): void {
    this.counts[action] = (this.counts[action] ?? 0) + 1;
  }

  private inject(kind: string): void {
    this.injected[kind] = (this.injected[kind] ?? 0) + 1;
  }

  private attempt(key: string): number {
    const n = this.attempts.get(key) ?? 0;
    this.attempts.set(key, n + 1);
    return n;
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://emulator');
    const m = /^\/snapshots\/([^/]+)\/(blocks|changedblocks)(?:\/([^/]+))?$/.exec(url.pathname);
    if (req.method === 'GET' && m) {
      await this.handleEbs(m, url, req, res);
      return;
    }
    if (req.method === 'POST' && url.pathname === '/') {
      const body = await readBody(req);
      const form = new URLSearchParams(body);
      await this.handleQuery(form, res);
      return;
    }
    this.count('Unknown');
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end(`emulator: no route for ${req.method} ${url.pathname}`);
  }

  /** Applies latency and the rate-based faults. Returns true when the request was answered. */
  private async faults(action: string, key: string, res: ServerResponse, ebs: boolean): Promise<boolean> {
    const f = this.options.faults;
    const n = this.attempt(`${action}|${key}`);
    const actions = f.actions ?? DEFAULT_FAULT_ACTIONS;
    if (!actions.includes(action)) return false;
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
      if (!ebs) sendEc2Error(res, 503, 'RequestLimitExceeded', 'Request limit exceeded.');
      else if (unit(seed, 'throttle-shape', key, n) < 0.5)
        sendJsonError(res, 400, 'RequestThrottledException', 'Rate exceeded', 'ACCOUNT_THROTTLED');
      else sendJsonError(res, 429, 'ThrottlingException', 'Rate exceeded');
      return true;
    }
    if ((f.serverErrorRate ?? 0) > unit(seed, '5xx', action, key, n)) {
      this.inject('5xx');
      if (!ebs) sendEc2Error(res, 500, 'InternalError', 'An internal error has occurred.');
      else if (unit(seed, '5xx-shape', key, n) < 0.5)
        sendJsonError(res, 500, 'InternalServerException', 'An internal error has occurred.');
      else {
        res.writeHead(503, { 'content-type': 'text/html' });
        res.end('<html><body>Service Unavailable</body></html>');
      }
      return true;
    }
    return false;
  }

  // ---- EBS direct ---------------------------------------------------------------------------

  private async handleEbs(m: RegExpExecArray, url: URL, req: IncomingMessage, res: ServerResponse) {
    const snapshotId = decodeURIComponent(m[1]!);
    const kind = m[2]!;
    const indexText = m[3];
    const action =
      kind === 'changedblocks' ? 'ListChangedBlocks' : indexText ? 'GetSnapshotBlock' : 'ListSnapshotBlocks';
    this.count(action);
    req.resume();
    try {
      const q = url.searchParams;
      const key =
        action === 'GetSnapshotBlock'
          ? `${snapshotId}/${indexText}`
          : `${snapshotId}/${q.get('startingBlockIndex') ?? ''}/${q.get('pageToken') ?? ''}/${q.get('firstSnapshotId') ?? ''}`;
      if (await this.faults(action, key, res, true)) return;
      const snap = this.ebsSnapshot(snapshotId);
      if (action === 'ListSnapshotBlocks') await this.listSnapshotBlocks(snap, q, res);
      else if (action === 'ListChangedBlocks') await this.listChangedBlocks(snap, q, res);
      else await this.getSnapshotBlock(snap, indexText!, q, res, key);
    } catch (err) {
      if (err instanceof HttpFault) sendJsonError(res, err.status, err.errorCode, err.message, err.reason);
      else throw err;
    }
  }

  private ebsSnapshot(snapshotId: string): SnapshotRecord {
    const snap = this.snapshotsById.get(snapshotId);
    if (!snap || snap.deleted) {
      throw new HttpFault(
        404,
        'ResourceNotFoundException',
        `The snapshot '${snapshotId}' does not exist.`,
        'SNAPSHOT_NOT_FOUND',
      );
    }
    if (this.stateOf(snap) !== 'completed') {
      throw new HttpFault(
        400,
        'ValidationException',
        `The snapshot '${snapshotId}' is not in the completed state.`,
        'INVALID_SNAPSHOT_ID',
      );
    }
    if (snap.kmsDenied) {
      throw new HttpFault(
        403,
        'AccessDeniedException',
        `User: arn:aws:iam::${this.options.accountId}:user/scanner is not authorized to perform: kms:Decrypt on the key used to encrypt ${snapshotId}`,
        'DEPENDENCY_ACCESS_DENIED',
      );
    }
    return snap;
  }

  private token(kind: string, snapshotId: string, value: number): { token: string; expires: number } {
    const expires = Date.now() + this.options.tokenTtlMs;
    const token = Buffer.from(`${kind}:${snapshotId}:${value}:${expires}:${randomUUID()}`).toString(
      'base64url',
    );
    return { token, expires };
  }

  private checkToken(kind: string, snapshotId: string, token: string, reason: string): number {
    const parts = Buffer.from(token, 'base64url').toString('utf8').split(':');
    if (parts.length !== 5 || parts[0] !== kind || parts[1] !== snapshotId) {
      throw new HttpFault(400, 'ValidationException', `The ${kind} token is not valid.`, reason);
    }
    if (Number(parts[3]) < Date.now()) {
      throw new HttpFault(400, 'ValidationException', `The ${kind} token has expired.`, reason);
    }
    return Number(parts[2]);
  }

  private pageSize(q: URLSearchParams): number {
    const asked = q.has('maxResults') ? Number(q.get('maxResults')) : 10_000;
    if (!Number.isInteger(asked) || asked < 1 || asked > 10_000) {
      throw new HttpFault(
        400,
        'ValidationException',
        'maxResults must be in 1..10000',
        'INVALID_PARAMETER_VALUE',
      );
    }
    return Math.min(asked, this.options.maxPageSize);
  }

  private async listSnapshotBlocks(snap: SnapshotRecord, q: URLSearchParams, res: ServerResponse) {
    const limit = this.pageSize(q);
    let from = Number(q.get('startingBlockIndex') ?? 0);
    const pageToken = q.get('pageToken');
    if (pageToken) from = this.checkToken('page', snap.snapshotId, pageToken, 'INVALID_PAGE_TOKEN');
    const maxBlocks = (snap.sizeGiB * GiB) / EMULATOR_BLOCK_BYTES;
    const written = (await this.images.written(snap.imagePath)).filter((i) => i < maxBlocks);
    const start = lowerBound(written, from);
    const page = written.slice(start, start + limit);
    const { expires } = this.token('block', snap.snapshotId, 0);
    const blocks = page.map((i) => ({
      BlockIndex: i,
      BlockToken: this.token('block', snap.snapshotId, i).token,
    }));
    const more = start + limit < written.length;
    const body: Record<string, unknown> = {
      Blocks: blocks,
      ExpiryTime: (expires + this.options.advertisedExpiryExtraMs) / 1000,
      VolumeSize: snap.sizeGiB,
      BlockSize: EMULATOR_BLOCK_BYTES,
    };
    if (more) body.NextToken = this.token('page', snap.snapshotId, written[start + limit]!).token;
    sendJson(res, 200, body);
  }

  private async listChangedBlocks(second: SnapshotRecord, q: URLSearchParams, res: ServerResponse) {
    const limit = this.pageSize(q);
    const firstId = q.get('firstSnapshotId');
    const first = firstId ? this.ebsSnapshot(firstId) : undefined;
    let from = Number(q.get('startingBlockIndex') ?? 0);
    const pageToken = q.get('pageToken');
    if (pageToken) from = this.checkToken('page', second.snapshotId, pageToken, 'INVALID_PAGE_TOKEN');
    const a = new Set(first ? await this.images.written(first.imagePath) : []);
    const b = await this.images.written(second.imagePath);
    const all = [...new Set([...a, ...b])].sort((x, y) => x - y);
    const changed: number[] = [];
    for (const i of all) {
      if (i < from) continue;
      if (first && a.has(i) && b.includes(i)) {
        const [x, y] = await Promise.all([
          this.images.block(first.imagePath, i),
          this.images.block(second.imagePath, i),
        ]);
        if (x.equals(y)) continue;
      }
      changed.push(i);
      if (changed.length > limit) break;
    }
    const page = changed.slice(0, limit);
    const { expires } = this.token('block', second.snapshotId, 0);
    const body: Record<string, unknown> = {
      ChangedBlocks: page.map((i) => ({
        BlockIndex: i,
        ...(first && a.has(i) ? { FirstBlockToken: this.token('block', first.snapshotId, i).token } : {}),
        ...(b.includes(i) ? { SecondBlockToken: this.token('block', second.snapshotId, i).token } : {}),
      })),
      ExpiryTime: (expires + this.options.advertisedExpiryExtraMs) / 1000,
      VolumeSize: second.sizeGiB,
      BlockSize: EMULATOR_BLOCK_BYTES,
    };
    if (changed.length > limit) body.NextToken = this.token('page', second.snapshotId, changed[limit]!).token;
    sendJson(res, 200, body);
  }

  private async getSnapshotBlock(
    snap: SnapshotRecord,
    indexText: string,
    q: URLSearchParams,
    res: ServerResponse,
    key: string,
  ) {
    const index = Number(indexText);
    const token = q.get('blockToken') ?? '';
    const tokenIndex = this.checkToken('block', snap.snapshotId, token, 'INVALID_BLOCK_TOKEN');
    if (!Number.isInteger(index) || tokenIndex !== index) {
      throw new HttpFault(400, 'ValidationException', 'The block token is not valid.', 'INVALID_BLOCK_TOKEN');
    }
    const f = this.options.faults;
    if (f.failBlocks?.includes(index)) {
      this.inject('fail-block');
      throw new HttpFault(500, 'InternalServerException', 'An internal error has occurred.');
    }
    const data = await this.images.block(snap.imagePath, index);
    let checksum = sha256b64(data);
    const seed = this.options.seed;
    const n = (this.attempts.get(`GetSnapshotBlock|${key}`) ?? 1) - 1;
    const planted = f.corruptBlocks?.includes(index) && n < (f.corruptAttempts ?? Number.POSITIVE_INFINITY);
    if (planted || (f.corruptRate ?? 0) > unit(seed, 'corrupt', key, n)) {
      this.inject('corrupt');
      checksum = sha256b64(Buffer.concat([data, Buffer.from([1])]));
    }
    const headers = {
      'content-type': 'application/octet-stream',
      'x-amz-Data-Length': String(data.length),
      'x-amz-Checksum': checksum,
      'x-amz-Checksum-Algorithm': 'SHA256',
      'x-amzn-RequestId': randomUUID(),
    };
    if ((f.truncateRate ?? 0) > unit(seed, 'truncate', key, n)) {
      this.inject('truncate');
      const half = data.subarray(0, data.length / 2);
      if (unit(seed, 'truncate-shape', key, n) < 0.5) {
        // A consistent but short answer: only a length check catches it.
        res.writeHead(200, { ...headers, 'content-length': String(half.length) });
        res.end(half);
      } else {
        // The connection drops mid-body.
        res.writeHead(200, { ...headers, 'content-length': String(data.length) });
        res.write(half, () => res.socket?.destroy());
      }
      return;
    }
    res.writeHead(200, { ...headers, 'content-length': String(data.length) });
    res.end(data);
  }

  // ---- EC2 and STS Query --------------------------------------------------------------------

  private async handleQuery(form: URLSearchParams, res: ServerResponse): Promise<void> {
    const action = form.get('Action') ?? '';
    this.count(action || 'Unknown');
    if (await this.faults(action, `${action}|${this.counts[action]}`, res, false)) return;
    try {
      if (action === 'GetCallerIdentity') {
        const body = document('GetCallerIdentityResponse', STS_NS, {
          GetCallerIdentityResult: {
            Arn: `arn:aws:iam::${this.options.accountId}:user/snapscan-emulator`,
            UserId: 'AIDAEMULATOR',
            Account: this.options.accountId,
          },
          ResponseMetadata: { RequestId: randomUUID() },
        });
        sendXml(res, 200, body);
        return;
      }
      const result = this.ec2(action, form);
      sendXml(res, 200, document(`${action}Response`, EC2_NS, { requestId: randomUUID(), ...result }));
    } catch (err) {
      if (err instanceof HttpFault) sendEc2Error(res, err.status, err.errorCode, err.message);
      else throw err;
    }
  }

  private ec2(action: string, form: URLSearchParams): XmlNode {
    switch (action) {
      case 'DescribeInstances':
        return this.describeInstances(form);
      case 'DescribeVolumes':
        return this.describeVolumes(form);
      case 'CreateSnapshot': {
        const volumeId = form.get('VolumeId') ?? '';
        const tags = tagSpecs(form, 'snapshot');
        const s = this.newSnapshot(volumeId, form.get('Description') ?? '', tags);
        return this.snapshotXml(s, 'status');
      }
      case 'CreateSnapshots':
        return this.createSnapshots(form);
      case 'DescribeSnapshots':
        return this.describeSnapshots(form);
      case 'DeleteSnapshot': {
        const id = form.get('SnapshotId') ?? '';
        const s = this.snapshotsById.get(id);
        if (!s || s.deleted)
          throw new HttpFault(400, 'InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
        if (s.ownerId !== this.options.accountId) {
          throw new HttpFault(
            400,
            'UnauthorizedOperation',
            'You are not authorized to perform this operation.',
          );
        }
        s.deleted = true;
        return { return: true };
      }
      case 'CreateTags': {
        const ids = list(form, 'ResourceId');
        const tags = tagList(form, 'Tag');
        for (const id of ids) {
          const target = this.snapshotsById.get(id) ?? this.volumes.get(id) ?? this.instances.get(id);
          if (!target || (target as SnapshotRecord).deleted) {
            throw new HttpFault(400, 'InvalidID', `The ID '${id}' is not valid`);
          }
          Object.assign(target.tags, tags);
        }
        return { return: true };
      }
      default:
        throw new HttpFault(400, 'InvalidAction', `The action ${action} is not valid for this web service.`);
    }
  }

  private describeInstances(form: URLSearchParams): XmlNode {
    const ids = list(form, 'InstanceId');
    for (const id of ids) {
      if (!this.instances.has(id)) {
        throw new HttpFault(400, 'InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
      }
    }
    const chosen = [...this.instances.values()].filter((i) => ids.length === 0 || ids.includes(i.instanceId));
    return {
      reservationSet: chosen.map((i) => ({
        reservationId: `r-${i.instanceId.slice(2)}`,
        ownerId: this.options.accountId,
        instancesSet: [
          {
            instanceId: i.instanceId,
            imageId: 'ami-0123456789abcdef0',
            instanceState: { code: 16, name: 'running' },
            instanceType: 't3.micro',
            placement: { availabilityZone: this.volumes.get(i.volumes[0]?.volumeId ?? '')?.az },
            rootDeviceType: 'ebs',
            rootDeviceName: i.rootDeviceName,
            blockDeviceMapping: i.volumes.map((v) => ({
              deviceName: v.device,
              ebs: {
                volumeId: v.volumeId,
                status: 'attached',
                attachTime: new Date(0).toISOString(),
                deleteOnTermination: true,
              },
            })),
            tagSet: tagSet(i.tags),
          },
        ],
      })),
    };
  }

  private describeVolumes(form: URLSearchParams): XmlNode {
    const ids = list(form, 'VolumeId');
    for (const id of ids) {
      if (!this.volumes.has(id))
        throw new HttpFault(400, 'InvalidVolume.NotFound', `The volume '${id}' does not exist.`);
    }
    const filters = filterList(form);
    const attachment = (volumeId: string) => {
      for (const i of this.instances.values()) {
        const v = i.volumes.find((x) => x.volumeId === volumeId);
        if (v) return { instanceId: i.instanceId, device: v.device };
      }
      return undefined;
    };
    const chosen = [...this.volumes.values()].filter((v) => {
      if (ids.length && !ids.includes(v.volumeId)) return false;
      const att = attachment(v.volumeId);
      for (const [name, values] of filters) {
        if (name === 'attachment.instance-id' && !(att && values.includes(att.instanceId))) return false;
      }
      return true;
    });
    return {
      volumeSet: chosen.map((v) => {
        const att = attachment(v.volumeId);
        return {
          volumeId: v.volumeId,
          size: v.sizeGiB,
          availabilityZone: v.az,
          status: att ? 'in-use' : 'available',
          createTime: new Date(0).toISOString(),
          volumeType: 'gp3',
          encrypted: v.encrypted,
          attachmentSet: att
            ? [{ volumeId: v.volumeId, instanceId: att.instanceId, device: att.device, status: 'attached' }]
            : [],
          tagSet: tagSet(v.tags),
        };
      }),
    };
  }

  private createSnapshots(form: URLSearchParams): XmlNode {
    const instanceId = form.get('InstanceSpecification.InstanceId') ?? '';
    const inst = this.instances.get(instanceId);
    if (!inst)
      throw new HttpFault(
        400,
        'InvalidInstanceID.NotFound',
        `The instance ID '${instanceId}' does not exist`,
      );
    const excludeBoot = form.get('InstanceSpecification.ExcludeBootVolume') === 'true';
    const excluded = list(form, 'InstanceSpecification.ExcludeDataVolumeId');
    const tags = tagSpecs(form, 'snapshot');
    const copy = form.get('CopyTagsFromSource') === 'volume';
    const created: SnapshotRecord[] = [];
    for (const v of inst.volumes) {
      if (excludeBoot && v.device === inst.rootDeviceName) continue;
      if (excluded.includes(v.volumeId)) continue;
      const volTags = copy ? this.volumes.get(v.volumeId)!.tags : {};
      created.push(this.newSnapshot(v.volumeId, form.get('Description') ?? '', { ...volTags, ...tags }));
    }
    return { snapshotSet: created.map((s) => this.snapshotXml(s, 'state')) };
  }

  private snapshotXml(s: SnapshotRecord, stateTag: 'state' | 'status'): XmlNode {
    const state = this.stateOf(s);
    const progress =
      state === 'pending' ? Math.min(99, Math.floor((s.describes / s.pendingDescribes) * 100)) : 100;
    return {
      snapshotId: s.snapshotId,
      volumeId: s.volumeId,
      [stateTag]: state,
      startTime: s.startTime.toISOString(),
      progress: `${progress}%`,
      ownerId: s.ownerId,
      volumeSize: s.sizeGiB,
      description: s.description,
      encrypted: s.encrypted,
      tagSet: tagSet(s.tags) as XmlValue,
    };
  }

  private describeSnapshots(form: URLSearchParams): XmlNode {
    const ids = list(form, 'SnapshotId');
    for (const id of ids) {
      const s = this.snapshotsById.get(id);
      if (!s || s.deleted)
        throw new HttpFault(400, 'InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
    }
    const owners = list(form, 'Owner').map((o) => (o === 'self' ? this.options.accountId : o));
    const filters = filterList(form);
    let chosen = this.snapshots().filter((s) => {
      if (ids.length && !ids.includes(s.snapshotId)) return false;
      if (owners.length && !owners.includes(s.ownerId)) return false;
      for (const [name, values] of filters) {
        if (name === 'tag-key' && !values.some((k) => k in s.tags)) return false;
        if (name.startsWith('tag:')) {
          const v = s.tags[name.slice(4)];
          if (v === undefined || !values.includes(v)) return false;
        }
        if (name === 'status' && !values.includes(this.stateOf(s))) return false;
        if (name === 'volume-id' && !values.includes(s.volumeId)) return false;
        if (name === 'snapshot-id' && !values.includes(s.snapshotId)) return false;
        if (name === 'owner-id' && !values.includes(s.ownerId)) return false;
      }
      return true;
    });
    const max = form.has('MaxResults') ? Number(form.get('MaxResults')) : 1000;
    const start = Number(form.get('NextToken') ?? 0);
    const more = start + max < chosen.length;
    chosen = chosen.slice(start, start + max);
    // A snapshot stays pending for `pendingDescribes` answers, then shows its final state.
    const set = chosen.map((s) => this.snapshotXml(s, 'status'));
    for (const s of chosen) s.describes++;
    return { snapshotSet: set, nextToken: more ? String(start + max) : undefined };
  }
}

// ---- helpers ------------------------------------------------------------------------------------

function lowerBound(sorted: number[], value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_FORM_BYTES) {
        req.destroy();
        reject(new Error('request body too large'));
      } else chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** `Name.1`, `Name.2`, … in order. */
function list(form: URLSearchParams, name: string): string[] {
  const out: string[] = [];
  for (let i = 1; form.has(`${name}.${i}`); i++) out.push(form.get(`${name}.${i}`)!);
  return out;
}

function tagList(form: URLSearchParams, prefix: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let i = 1; form.has(`${prefix}.${i}.Key`); i++) {
    tags[form.get(`${prefix}.${i}.Key`)!] = form.get(`${prefix}.${i}.Value`) ?? '';
  }
  return tags;
}

function tagSpecs(form: URLSearchParams, resourceType: string): Record<string, string> {
  const tags: Record<string, string> = {};
  for (let i = 1; form.has(`TagSpecification.${i}.ResourceType`); i++) {
    if (form.get(`TagSpecification.${i}.ResourceType`) !== resourceType) continue;
    Object.assign(tags, tagList(form, `TagSpecification.${i}.Tag`));
  }
  return tags;
}

function filterList(form: URLSearchParams): [string, string[]][] {
  const out: [string, string[]][] = [];
  for (let i = 1; form.has(`Filter.${i}.Name`); i++) {
    out.push([form.get(`Filter.${i}.Name`)!, list(form, `Filter.${i}.Value`)]);
  }
  return out;
}

function tagSet(tags: Record<string, string>): XmlNode[] {
  return Object.entries(tags).map(([key, value]) => ({ key, value }));
}

function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(text);
}

function sendJsonError(res: ServerResponse, status: number, code: string, message: string, reason?: string) {
  const text = JSON.stringify(reason ? { message, Reason: reason } : { message });
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    'x-amzn-ErrorType': code,
    'x-amzn-RequestId': randomUUID(),
  });
  res.end(text);
}

function sendXml(res: ServerResponse, status: number, text: string): void {
  res.writeHead(status, {
    'content-type': 'text/xml;charset=UTF-8',
    'content-length': Buffer.byteLength(text),
  });
  res.end(text);
}

function sendEc2Error(res: ServerResponse, status: number, code: string, message: string): void {
  const text =
    `<?xml version="1.0" encoding="UTF-8"?>\n<Response><Errors><Error><Code>${code}</Code>` +
    `<Message>${message.replace(/[<>&]/g, '')}</Message></Error></Errors><RequestID>${randomUUID()}</RequestID></Response>`;
  sendXml(res, status, text);
}

/** Starts an emulator on a free loopback port. */
export async function startEmulator(options: EmulatorOptions = {}): Promise<Emulator> {
  const emu = new Emulator(options);
  await emu.start(options.host ?? '127.0.0.1', options.port ?? 0);
  return emu;
}

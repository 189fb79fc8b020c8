/**
 * EBS direct APIs (REST-JSON, API 2019-11-02), read side:
 *   GET /snapshots/{id}/blocks?maxResults&pageToken&startingBlockIndex          ListSnapshotBlocks
 *   GET /snapshots/{id}/blocks/{index}?blockToken=…                              GetSnapshotBlock
 *   GET /snapshots/{second}/changedblocks?firstSnapshotId&maxResults&pageToken   ListChangedBlocks
 * A snapshot serves its volume's image file; only 512 KiB blocks holding a non-zero byte are listed.
 * A snapshot of another account than the caller's (not shared) is AccessDeniedException
 * UNAUTHORIZED_ACCOUNT.
 *
 * https://docs.aws.amazon.com/ebs/latest/APIReference/API_GetSnapshotBlock.html
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { unit } from '../faults.js';
import { EMULATOR_BLOCK_BYTES, sha256b64 } from '../images.js';
import { HttpFault, sendJson, sendRestJsonError } from '../protocol.js';
import type { Emulator, SnapshotRecord } from '../server.js';
import type { EmulatorCall, EmulatorService, RestMatch } from './types.js';

const GiB = 1024 ** 3;
const ROUTE = /^\/snapshots\/([^/]+)\/(blocks|changedblocks)(?:\/([^/]+))?$/;

export class EbsService implements EmulatorService {
  readonly id = 'ebs';

  constructor(private readonly emu: Emulator) {}

  restOperation(req: IncomingMessage, url: URL, signing: string | undefined): RestMatch | undefined {
    if (req.method !== 'GET' || (signing && signing !== 'ebs')) return undefined;
    const m = ROUTE.exec(url.pathname);
    if (!m) return undefined;
    const snapshotId = decodeURIComponent(m[1]!);
    const q = url.searchParams;
    if (m[2] === 'changedblocks') {
      return {
        action: 'ListChangedBlocks',
        faultKey: `${snapshotId}/${q.get('startingBlockIndex') ?? ''}/${q.get('pageToken') ?? ''}/${q.get('firstSnapshotId') ?? ''}`,
      };
    }
    if (m[3]) return { action: 'GetSnapshotBlock', faultKey: `${snapshotId}/${m[3]}` };
    return {
      action: 'ListSnapshotBlocks',
      faultKey: `${snapshotId}/${q.get('startingBlockIndex') ?? ''}/${q.get('pageToken') ?? ''}/`,
    };
  }

  readonly faultReplies = {
    throttle(res: ServerResponse, pick: number) {
      if (pick < 0.5)
        sendRestJsonError(res, 400, 'RequestThrottledException', 'Rate exceeded', 'ACCOUNT_THROTTLED');
      else sendRestJsonError(res, 429, 'ThrottlingException', 'Rate exceeded');
    },
    serverError(res: ServerResponse, pick: number) {
      if (pick < 0.5)
        sendRestJsonError(res, 500, 'InternalServerException', 'An internal error has occurred.');
      else {
        res.writeHead(503, { 'content-type': 'text/html' });
        res.end('<html><body>Service Unavailable</body></html>');
      }
    },
  };

  sendFault(call: EmulatorCall, status: number, code: string, message: string, reason?: string): void {
    sendRestJsonError(call.res, status, code, message, reason);
  }

  async handle(call: EmulatorCall): Promise<void> {
    const m = ROUTE.exec(call.url.pathname)!;
    call.req.resume();
    const snap = this.snapshot(decodeURIComponent(m[1]!), call.account);
    const q = call.url.searchParams;
    if (call.action === 'ListSnapshotBlocks') await this.listSnapshotBlocks(snap, q, call.res);
    else if (call.action === 'ListChangedBlocks')
      await this.listChangedBlocks(snap, q, call.res, call.account);
    else await this.getSnapshotBlock(snap, m[3]!, q, call.res, `${snap.snapshotId}/${m[3]}`);
  }

  private snapshot(snapshotId: string, account: string): SnapshotRecord {
    const snap = this.emu.snapshotsById.get(snapshotId);
    if (!snap || snap.deleted) {
      throw new HttpFault(
        404,
        'ResourceNotFoundException',
        `The snapshot '${snapshotId}' does not exist.`,
        'SNAPSHOT_NOT_FOUND',
      );
    }
    if (snap.accountId !== account) {
      throw new HttpFault(
        403,
        'AccessDeniedException',
        `Account ${account} is not authorized to access snapshot ${snapshotId}`,
        'UNAUTHORIZED_ACCOUNT',
      );
    }
    if (this.emu.stateOf(snap) !== 'completed') {
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
        `User: arn:aws:iam::${account}:user/scanner is not authorized to perform: kms:Decrypt on the key used to encrypt ${snapshotId}`,
        'DEPENDENCY_ACCESS_DENIED',
      );
    }
    return snap;
  }

  private token(kind: string, snapshotId: string, value: number): { token: string; expires: number } {
    const expires = Date.now() + this.emu.options.tokenTtlMs;
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
    return Math.min(asked, this.emu.options.maxPageSize);
  }
  private async listSnapshotBlocks(snap: SnapshotRecord, q: URLSearchParams, res: ServerResponse) {
    const limit = this.pageSize(q);
    let from = Number(q.get('startingBlockIndex') ?? 0);
    const pageToken = q.get('pageToken');
    if (pageToken) from = this.checkToken('page', snap.snapshotId, pageToken, 'INVALID_PAGE_TOKEN');
    const maxBlocks = (snap.sizeGiB * GiB) / EMULATOR_BLOCK_BYTES;
    const written = (await this.emu.images.written(snap.imagePath)).filter((i) => i < maxBlocks);
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
      ExpiryTime: (expires + this.emu.options.advertisedExpiryExtraMs) / 1000,
      VolumeSize: snap.sizeGiB,
      BlockSize: EMULATOR_BLOCK_BYTES,
    };
    if (more) body.NextToken = this.token('page', snap.snapshotId, written[start + limit]!).token;
    sendJson(res, 200, body);
  }

  private async listChangedBlocks(
    second: SnapshotRecord,
    q: URLSearchParams,
    res: ServerResponse,
    account: string,
  ) {
    const limit = this.pageSize(q);
    const firstId = q.get('firstSnapshotId');
    const first = firstId ? this.snapshot(firstId, account) : undefined;
    let from = Number(q.get('startingBlockIndex') ?? 0);
    const pageToken = q.get('pageToken');
    if (pageToken) from = this.checkToken('page', second.snapshotId, pageToken, 'INVALID_PAGE_TOKEN');
    const a = new Set(first ? await this.emu.images.written(first.imagePath) : []);
    const b = await this.emu.images.written(second.imagePath);
    const all = [...new Set([...a, ...b])].sort((x, y) => x - y);
    const changed: number[] = [];
    for (const i of all) {
      if (i < from) continue;
      if (first && a.has(i) && b.includes(i)) {
        const [x, y] = await Promise.all([
          this.emu.images.block(first.imagePath, i),
          this.emu.images.block(second.imagePath, i),
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
      ExpiryTime: (expires + this.emu.options.advertisedExpiryExtraMs) / 1000,
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
    const f = this.emu.options.faults;
    if (f.failBlocks?.includes(index)) {
      this.emu.inject('fail-block');
      throw new HttpFault(500, 'InternalServerException', 'An internal error has occurred.');
    }
    const data = await this.emu.images.block(snap.imagePath, index);
    let checksum = sha256b64(data);
    const seed = this.emu.options.seed;
    const n = (this.emu.attemptsOf(`GetSnapshotBlock|${key}`) ?? 1) - 1;
    const planted = f.corruptBlocks?.includes(index) && n < (f.corruptAttempts ?? Number.POSITIVE_INFINITY);
    if (planted || (f.corruptRate ?? 0) > unit(seed, 'corrupt', key, n)) {
      this.emu.inject('corrupt');
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
      this.emu.inject('truncate');
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
}

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

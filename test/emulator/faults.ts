/**
 * Deterministic fault decisions. A decision depends on (seed, fault kind, request key, attempt number
 * for that key), never on arrival order, so a run with 64 requests in flight injects the same faults
 * into the same blocks as a sequential run: "block 17, second attempt, throttled" is reproducible.
 */

export type LatencySpec = { kind: 'fixed'; ms: number } | { kind: 'uniform'; minMs: number; maxMs: number };

export interface FaultOptions {
  /** Fraction of requests answered with a throttling error (EBS: RequestThrottledException 400 or
   *  ThrottlingException 429; EC2: RequestLimitExceeded 503). */
  throttleRate?: number;
  /** Fraction answered with a 5xx (EBS: InternalServerException 500; EC2: InternalError 500). */
  serverErrorRate?: number;
  /** Fraction whose socket is destroyed before any byte is sent. */
  resetRate?: number;
  /** GetSnapshotBlock: fraction whose x-amz-Checksum does not match the body; S3 GetObject: a body byte flipped. */
  corruptRate?: number;
  /** GetSnapshotBlock: fraction whose body is cut short (half the bytes); S3 GetObject: connection dropped mid-body. */
  truncateRate?: number;
  /** Delay before answering. */
  latency?: LatencySpec;
  /** Actions the rates and latency apply to. Default: the three EBS direct read actions. */
  actions?: readonly string[];
  /** Block indexes whose checksum is always wrong (every snapshot): a permanent failure. */
  corruptBlocks?: readonly number[];
  /** Only the first N attempts at a `corruptBlocks` block are corrupted (default: all). */
  corruptAttempts?: number;
  /** Block indexes that always answer InternalServerException. */
  failBlocks?: readonly number[];
}

export const DEFAULT_FAULT_ACTIONS = ['ListSnapshotBlocks', 'GetSnapshotBlock', 'ListChangedBlocks'];

/** FNV-1a over a string, then a murmur3 finaliser: a uniform 32-bit value. */
function hash32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Uniform in [0, 1) from the seed and the parts of a decision. */
export function unit(seed: number, ...parts: (string | number)[]): number {
  return hash32(`${seed}|${parts.join('|')}`) / 2 ** 32;
}

export function latencyMs(spec: LatencySpec | undefined, seed: number, key: string, attempt: number): number {
  if (!spec) return 0;
  if (spec.kind === 'fixed') return spec.ms;
  return spec.minMs + (spec.maxMs - spec.minMs) * unit(seed, 'latency', key, attempt);
}

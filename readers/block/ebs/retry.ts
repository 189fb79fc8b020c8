/**
 * Which failures are worth another attempt, and how long to wait. The SDK's own retry is turned off
 * on the EBS client (maxAttempts 1) so every attempt is ours: counted, reported, and abortable.
 *
 * Backoff is "full jitter" (AWS Architecture Blog, Exponential Backoff and Jitter): a uniform wait in
 * [0, min(cap, base * 2^attempt)), which spreads 64 throttled workers apart instead of retrying in step.
 */
import { AbortedError } from '../../../engine/errors.js';

export type FailureKind =
  | 'throttle'
  | 'server'
  | 'network'
  | 'integrity'
  | 'token-expired'
  | 'kms-denied'
  | 'not-found'
  | 'aborted'
  | 'fatal';

const THROTTLE_NAMES = new Set([
  'ThrottlingException',
  'RequestThrottledException',
  'TooManyRequestsException',
  'Throttling',
  'ThrottledException',
  'SlowDown',
  'RequestLimitExceeded',
  'ConcurrentLimitExceededException',
]);
const NETWORK_CODES = new Set([
  'ECONNRESET',
  'EPIPE',
  'ECONNABORTED',
  'ETIMEDOUT',
  'ECONNREFUSED',
  'EAI_AGAIN',
  'ERR_STREAM_PREMATURE_CLOSE',
  'UND_ERR_SOCKET',
]);

interface AwsLikeError {
  name?: string;
  code?: string;
  message?: string;
  Reason?: string;
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
}

export function classify(err: unknown, signal?: AbortSignal): FailureKind {
  if (signal?.aborted || err instanceof AbortedError) return 'aborted';
  const e = (err ?? {}) as AwsLikeError;
  const name = e.name ?? '';
  const status = e.$metadata?.httpStatusCode;
  const message = e.message ?? '';
  if (name === 'AbortError') return 'aborted';
  if (THROTTLE_NAMES.has(name) || status === 429) return 'throttle';
  if (name === 'ValidationException') {
    if (
      e.Reason === 'INVALID_BLOCK_TOKEN' ||
      e.Reason === 'INVALID_PAGE_TOKEN' ||
      /token.*expired|expired.*token/i.test(message)
    ) {
      return 'token-expired';
    }
    return 'fatal';
  }
  if (name === 'AccessDeniedException' || status === 403) {
    return /kms/i.test(message) || e.Reason === 'DEPENDENCY_ACCESS_DENIED' ? 'kms-denied' : 'fatal';
  }
  if (name === 'ResourceNotFoundException' || status === 404) return 'not-found';
  if (name === 'InternalServerException' || (status !== undefined && status >= 500)) return 'server';
  if (name === 'TimeoutError' || name === 'RequestTimeout') return 'network';
  if (e.code && NETWORK_CODES.has(e.code)) return 'network';
  if (/socket hang up|ECONNRESET|aborted|premature close|EPIPE/i.test(message)) return 'network';
  return 'fatal';
}

export function isRetryable(kind: FailureKind): boolean {
  return kind === 'throttle' || kind === 'server' || kind === 'network' || kind === 'integrity';
}

export interface BackoffOptions {
  baseDelayMs: number;
  maxDelayMs: number;
  random: () => number;
}

export function backoffMs(attempt: number, o: BackoffOptions): number {
  const ceiling = Math.min(o.maxDelayMs, o.baseDelayMs * 2 ** Math.min(attempt, 30));
  return Math.floor(o.random() * ceiling);
}

/** Sleeps, waking early with AbortedError when the signal fires. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  if (signal?.aborted) return Promise.reject(new AbortedError());
  if (ms <= 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(new AbortedError());
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Settles like `promise`, or rejects with AbortedError as soon as `signal` fires. */
export function raceAbort<T>(promise: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(new AbortedError());
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(new AbortedError());
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (err) => {
        signal.removeEventListener('abort', onAbort);
        reject(err);
      },
    );
  });
}

/**
 * Typed errors of the EBS source. All are SourceErrors (a failed block source aborts a scan); the
 * `code` says which failure it was so the CLI and tests can tell them apart without reading text.
 */
import { type ErrorCode, SourceError } from '../../../engine/errors.js';

/** A block's SHA-256 did not match x-amz-Checksum on every attempt. */
export class ChecksumMismatchError extends SourceError {
  constructor(
    readonly snapshotId: string,
    readonly blockIndex: number,
    readonly attempts: number,
    detail: string,
  ) {
    super(`ebs: ${snapshotId} block ${blockIndex}: ${detail} (after ${attempts} attempts)`, {
      code: 'checksum-mismatch',
    });
  }
}

/** An AWS API call failed for good (not retryable, or retries exhausted). */
export class AwsApiError extends SourceError {
  constructor(
    readonly operation: string,
    readonly awsCode: string,
    message: string,
    options: { cause?: unknown; code?: ErrorCode } = {},
  ) {
    super(message, { cause: options.cause, code: options.code ?? 'aws-error' });
  }
}

/**
 * EBS snapshot block source (EBS direct APIs, API version 2019-11-02).
 *
 * Specs:
 *   https://docs.aws.amazon.com/ebs/latest/APIReference/API_ListSnapshotBlocks.html
 *   https://docs.aws.amazon.com/ebs/latest/APIReference/API_GetSnapshotBlock.html
 *   https://docs.aws.amazon.com/ebs/latest/userguide/ebsapis-using-checksums.html
 *
 *   snapshot (VolumeSize GiB) = blocks of BlockSize (524288) bytes
 *   ┌────────┬────────┬────────┬────────┬─────┐
 *   │ blk 0  │ blk 1  │ blk 2  │ blk 3  │ …   │  listed (written) blocks carry a BlockToken;
 *   │ token  │  —     │ token  │  —     │     │  unlisted ones are zeros and cost nothing
 *   └────────┴────────┴────────┴────────┴─────┘
 */
import { EbsSnapshotSource, type EbsSourceOptions } from './source.js';

export const id = 'ebs';
export const displayName = 'EBS snapshot (EBS direct APIs)';
export const specUrls = [
  'https://docs.aws.amazon.com/ebs/latest/APIReference/API_ListSnapshotBlocks.html',
  'https://docs.aws.amazon.com/ebs/latest/APIReference/API_GetSnapshotBlock.html',
  'https://docs.aws.amazon.com/ebs/latest/userguide/ebsapis-using-checksums.html',
];
export const version = 1;

export { BlockMap } from './block-map.js';
export { type AwsClientOptions, createEbsClient, httpHandler } from './client.js';
export { ebsCostUsd, USD_PER_1000_GET_BLOCK_CALLS, USD_PER_1000_LIST_CALLS } from './cost.js';
export { AwsApiError, ChecksumMismatchError } from './errors.js';
export { EbsSnapshotSource, type EbsSourceOptions, type EbsStats, type RetryInfo } from './source.js';

/**
 * Opens a completed snapshot for reading: lists its blocks (every page) and returns the BlockSource,
 * whose `stats()` gives calls, bytes, cache hits, retries and cost. Pass `client`, or `endpoint` /
 * `region` / `credentials` (otherwise the SDK's standard chain, AWS_ENDPOINT_URL_EBS included).
 */
export function openSnapshotSource(options: EbsSourceOptions): Promise<EbsSnapshotSource> {
  return EbsSnapshotSource.open(options);
}

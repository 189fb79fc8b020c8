/**
 * EBS direct API list prices (aws.amazon.com/ebs/pricing, "EBS direct APIs for Snapshots"), the same
 * in most regions: ListSnapshotBlocks and ListChangedBlocks $0.0006 per 1,000 requests,
 * GetSnapshotBlock $0.003 per 1,000 requests. Figures are an estimate for the report, not a bill.
 */
export const USD_PER_1000_LIST_CALLS = 0.0006;
export const USD_PER_1000_GET_BLOCK_CALLS = 0.003;

export function ebsCostUsd(listCalls: number, getBlockCalls: number): number {
  return (listCalls * USD_PER_1000_LIST_CALLS + getBlockCalls * USD_PER_1000_GET_BLOCK_CALLS) / 1000;
}

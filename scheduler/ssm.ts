/**
 * SSM reads for hybrid mode: which instances have an online agent (DescribeInstanceInformation,
 * paginated, one listing per region per pass) and their AWS:Application inventory
 * (ListInventoryEntries, paginated; CaptureTime says how old it is).
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeInstanceInformation.html
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ListInventoryEntries.html
 */
import {
  DescribeInstanceInformationCommand,
  ListInventoryEntriesCommand,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { checkAborted, ScanError } from '../engine/errors.js';
import type { SsmEntry, SsmPlatform } from './ssm-inventory.js';

export interface ManagedInstance extends SsmPlatform {
  instanceId: string;
  pingStatus: string;
}

const MAX_PAGES = 10_000;
/** ListInventoryEntries pages per instance at most (up to 50 entries each): 500,000 applications. */
const MAX_ENTRY_PAGES = 10_000;

export async function describeManagedInstances(
  ssm: Pick<SSMClient, 'send'>,
  signal?: AbortSignal,
): Promise<Map<string, ManagedInstance>> {
  const out = new Map<string, ManagedInstance>();
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    checkAborted(signal);
    const res = await ssm.send(
      new DescribeInstanceInformationCommand({ MaxResults: 50, ...(token ? { NextToken: token } : {}) }),
      signal ? { abortSignal: signal as never } : {},
    );
    for (const i of res.InstanceInformationList ?? []) {
      if (!i.InstanceId) continue;
      const m: ManagedInstance = { instanceId: i.InstanceId, pingStatus: i.PingStatus ?? 'Unknown' };
      if (i.PlatformType) m.platformType = i.PlatformType;
      if (i.PlatformName) m.platformName = i.PlatformName;
      if (i.PlatformVersion) m.platformVersion = i.PlatformVersion;
      out.set(i.InstanceId, m);
    }
    if (!res.NextToken || res.NextToken === token) break;
    token = res.NextToken;
  }
  return out;
}

export interface ApplicationInventory {
  /** undefined when the instance has reported no AWS:Application inventory. */
  captureTime?: string;
  entries: SsmEntry[];
}

/** The instance's AWS:Application entries; `firstPageOnly` reads just enough to know CaptureTime. */
export async function listApplications(
  ssm: Pick<SSMClient, 'send'>,
  instanceId: string,
  o: { firstPageOnly?: boolean; signal?: AbortSignal } = {},
): Promise<ApplicationInventory> {
  const out: ApplicationInventory = { entries: [] };
  let token: string | undefined;
  for (let page = 0; ; page++) {
    if (page >= MAX_ENTRY_PAGES)
      throw new ScanError(
        'limit-exceeded',
        `ssm: ${instanceId}: more than ${MAX_ENTRY_PAGES} inventory pages`,
      );
    checkAborted(o.signal);
    const res = await ssm.send(
      new ListInventoryEntriesCommand({
        InstanceId: instanceId,
        TypeName: 'AWS:Application',
        MaxResults: o.firstPageOnly ? 1 : 50,
        ...(token ? { NextToken: token } : {}),
      }),
      o.signal ? { abortSignal: o.signal as never } : {},
    );
    if (res.CaptureTime) out.captureTime = res.CaptureTime;
    for (const e of res.Entries ?? []) out.entries.push(e);
    if (o.firstPageOnly || !res.NextToken || res.NextToken === token) break;
    token = res.NextToken;
  }
  return out;
}

/**
 * Discover: every EC2 instance of a region (DescribeInstances, paginated), with its state, platform
 * details, tags and EBS volumes. Terminated instances are listed for about an hour after the fact;
 * those no longer listed are recognised from the state store.
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
 */
import { DescribeInstancesCommand, type EC2Client } from '@aws-sdk/client-ec2';
import { checkAborted } from '../engine/errors.js';
import { tagMap } from '../engine/snapshots/tags.js';

export interface DiscoveredInstance {
  instanceId: string;
  region: string;
  /** pending | running | shutting-down | terminated | stopping | stopped */
  state: string;
  platformDetails?: string;
  tags: Record<string, string>;
  volumes: { volumeId: string; device: string }[];
  launchTime?: string;
}

/** DescribeInstances pages to read at most (1000 instances each). */
const MAX_PAGES = 1000;

export async function discoverInstances(
  ec2: Pick<EC2Client, 'send'>,
  region: string,
  signal?: AbortSignal,
): Promise<DiscoveredInstance[]> {
  const out: DiscoveredInstance[] = [];
  let token: string | undefined;
  for (let page = 0; page < MAX_PAGES; page++) {
    checkAborted(signal);
    const res = await ec2.send(
      new DescribeInstancesCommand({ MaxResults: 1000, ...(token ? { NextToken: token } : {}) }),
      signal ? { abortSignal: signal as never } : {},
    );
    for (const r of res.Reservations ?? []) {
      for (const i of r.Instances ?? []) {
        if (!i.InstanceId) continue;
        const d: DiscoveredInstance = {
          instanceId: i.InstanceId,
          region,
          state: i.State?.Name ?? 'unknown',
          tags: tagMap(i.Tags),
          volumes: (i.BlockDeviceMappings ?? [])
            .filter((m) => m.Ebs?.VolumeId)
            .map((m) => ({ volumeId: m.Ebs!.VolumeId!, device: m.DeviceName ?? '' })),
        };
        if (i.PlatformDetails) d.platformDetails = i.PlatformDetails;
        if (i.LaunchTime) d.launchTime = new Date(i.LaunchTime).toISOString();
        out.push(d);
      }
    }
    if (!res.NextToken || res.NextToken === token) break;
    token = res.NextToken;
  }
  return out;
}

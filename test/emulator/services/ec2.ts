/**
 * EC2 Query API (POST /, form-encoded `Action=…`, XML answers in the ec2Query shape, API 2016-11-15):
 *   DescribeInstances (InstanceIds, filters instance-state-name / instance-id / tag-key / tag:K,
 *   MaxResults + NextToken) DescribeVolumes CreateSnapshot CreateSnapshots DescribeSnapshots (OwnerIds,
 *   SnapshotIds, filters tag-key / tag:K / status / volume-id / snapshot-id / owner-id / start-time /
 *   encrypted / description, `*` and `?` wildcards, paging) DeleteSnapshot CreateTags.
 * State lives on the Emulator (volumes, instances, snapshots), shared with the EBS service; a caller
 * sees only the resources of its own account (`call.account`): another account's instance, volume
 * or snapshot is "not found", as EC2 answers for ids it does not show you.
 *
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeInstances.html
 * https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_DescribeSnapshots.html
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import {
  filterList,
  HttpFault,
  list,
  sendEc2Error,
  sendXml,
  tagList,
  tagSet,
  tagSpecs,
  wildcard,
} from '../protocol.js';
import type { Emulator, InstanceRecord, InstanceStateName, SnapshotRecord } from '../server.js';
import { document, type XmlNode, type XmlValue } from '../xml.js';
import type { EmulatorCall, EmulatorService } from './types.js';

const EC2_NS = 'http://ec2.amazonaws.com/doc/2016-11-15/';

/** https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_InstanceState.html */
export const INSTANCE_STATE_CODES: Record<InstanceStateName, number> = {
  pending: 0,
  running: 16,
  'shutting-down': 32,
  terminated: 48,
  stopping: 64,
  stopped: 80,
};

export class Ec2Service implements EmulatorService {
  readonly id = 'ec2';
  readonly queryActions = [
    'DescribeInstances',
    'DescribeVolumes',
    'CreateSnapshot',
    'CreateSnapshots',
    'DescribeSnapshots',
    'DeleteSnapshot',
    'CreateTags',
  ];

  constructor(private readonly emu: Emulator) {}

  readonly faultReplies = {
    throttle: (res: ServerResponse) =>
      sendEc2Error(res, 503, 'RequestLimitExceeded', 'Request limit exceeded.'),
    serverError: (res: ServerResponse) =>
      sendEc2Error(res, 500, 'InternalError', 'An internal error has occurred.'),
  };

  sendFault(call: EmulatorCall, status: number, code: string, message: string): void {
    sendEc2Error(call.res, status, code, message);
  }

  async handle(call: EmulatorCall): Promise<void> {
    const result = this.answer(call.action, call.form!, call.account);
    sendXml(
      call.res,
      200,
      document(`${call.action}Response`, EC2_NS, { requestId: randomUUID(), ...result }),
    );
  }

  private answer(action: string, form: URLSearchParams, account: string): XmlNode {
    switch (action) {
      case 'DescribeInstances':
        return this.describeInstances(form, account);
      case 'DescribeVolumes':
        return this.describeVolumes(form, account);
      case 'CreateSnapshot': {
        const volumeId = form.get('VolumeId') ?? '';
        const tags = tagSpecs(form, 'snapshot');
        const s = this.emu.newSnapshot(volumeId, form.get('Description') ?? '', tags, account);
        return this.snapshotXml(s, 'status');
      }
      case 'CreateSnapshots':
        return this.createSnapshots(form, account);
      case 'DescribeSnapshots':
        return this.describeSnapshots(form, account);
      case 'DeleteSnapshot': {
        const id = form.get('SnapshotId') ?? '';
        const s = this.emu.snapshotsById.get(id);
        if (!s || s.deleted || s.accountId !== account)
          throw new HttpFault(400, 'InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
        if (s.ownerId !== account) {
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
          const target =
            this.emu.snapshotsById.get(id) ?? this.emu.volumes.get(id) ?? this.emu.instances.get(id);
          if (!target || (target as SnapshotRecord).deleted || target.accountId !== account) {
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

  private describeInstances(form: URLSearchParams, account: string): XmlNode {
    const ids = list(form, 'InstanceId');
    for (const id of ids) {
      if (this.emu.instances.get(id)?.accountId !== account) {
        throw new HttpFault(400, 'InvalidInstanceID.NotFound', `The instance ID '${id}' does not exist`);
      }
    }
    const filters = filterList(form);
    const all = [...this.emu.instances.values()].filter((i) => {
      if (i.accountId !== account) return false;
      if (ids.length && !ids.includes(i.instanceId)) return false;
      return filters.every(([name, values]) => instanceMatches(i, name, values));
    });
    // Real EC2 pages by instance (MaxResults 5..1000; not allowed together with InstanceIds).
    if (form.has('MaxResults') && ids.length) {
      throw new HttpFault(
        400,
        'InvalidParameterCombination',
        'The parameter instancesSet cannot be used with the parameter maxResults',
      );
    }
    let max = Number.POSITIVE_INFINITY;
    if (form.has('MaxResults')) {
      max = Number(form.get('MaxResults'));
      if (!Number.isInteger(max) || max < 5 || max > 1000)
        throw new HttpFault(
          400,
          'InvalidParameterValue',
          `Value ( ${max} ) for parameter maxResults is invalid.`,
        );
    }
    const start = Number(form.get('NextToken') ?? 0);
    const chosen = all.slice(start, start + max);
    const more = start + max < all.length;
    return {
      reservationSet: chosen.map((i) => ({
        reservationId: `r-${i.instanceId.slice(2)}`,
        ownerId: i.accountId,
        instancesSet: [this.instanceXml(i)],
      })),
      nextToken: more ? String(start + max) : undefined,
    };
  }

  private instanceXml(i: InstanceRecord): XmlNode {
    const gone = i.state === 'terminated';
    return {
      instanceId: i.instanceId,
      imageId: i.imageId,
      instanceState: { code: INSTANCE_STATE_CODES[i.state], name: i.state },
      privateDnsName: gone ? '' : `ip-10-0-0-1.${this.emu.options.region}.compute.internal`,
      instanceType: i.instanceType,
      launchTime: i.launchTime.toISOString(),
      placement: { availabilityZone: i.availabilityZone },
      platformDetails: i.platformDetails,
      stateTransitionReason: i.state === 'running' ? '' : 'User initiated',
      rootDeviceType: 'ebs',
      rootDeviceName: i.rootDeviceName,
      // A terminated instance's volumes are gone (DeleteOnTermination).
      blockDeviceMapping: gone
        ? []
        : i.volumes.map((v) => ({
            deviceName: v.device,
            ebs: {
              volumeId: v.volumeId,
              status: 'attached',
              attachTime: new Date(0).toISOString(),
              deleteOnTermination: true,
            },
          })),
      tagSet: tagSet(i.tags),
    };
  }

  private describeVolumes(form: URLSearchParams, account: string): XmlNode {
    const ids = list(form, 'VolumeId');
    for (const id of ids) {
      if (this.emu.volumes.get(id)?.accountId !== account)
        throw new HttpFault(400, 'InvalidVolume.NotFound', `The volume '${id}' does not exist.`);
    }
    const filters = filterList(form);
    const attachment = (volumeId: string) => {
      for (const i of this.emu.instances.values()) {
        if (i.state === 'terminated') continue;
        const v = i.volumes.find((x) => x.volumeId === volumeId);
        if (v) return { instanceId: i.instanceId, device: v.device };
      }
      return undefined;
    };
    const chosen = [...this.emu.volumes.values()].filter((v) => {
      if (v.accountId !== account) return false;
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
          kmsKeyId: v.kmsKeyId,
          attachmentSet: att
            ? [{ volumeId: v.volumeId, instanceId: att.instanceId, device: att.device, status: 'attached' }]
            : [],
          tagSet: tagSet(v.tags),
        };
      }),
    };
  }

  private createSnapshots(form: URLSearchParams, account: string): XmlNode {
    const instanceId = form.get('InstanceSpecification.InstanceId') ?? '';
    const inst = this.emu.instances.get(instanceId);
    if (!inst || inst.accountId !== account)
      throw new HttpFault(
        400,
        'InvalidInstanceID.NotFound',
        `The instance ID '${instanceId}' does not exist`,
      );
    if (inst.state === 'terminated' || inst.state === 'shutting-down') {
      throw new HttpFault(
        400,
        'IncorrectState',
        `The instance '${instanceId}' is not in a state from which it can be snapshotted.`,
      );
    }
    const excludeBoot = form.get('InstanceSpecification.ExcludeBootVolume') === 'true';
    const excluded = list(form, 'InstanceSpecification.ExcludeDataVolumeId');
    const tags = tagSpecs(form, 'snapshot');
    const copy = form.get('CopyTagsFromSource') === 'volume';
    const created: SnapshotRecord[] = [];
    for (const v of inst.volumes) {
      if (excludeBoot && v.device === inst.rootDeviceName) continue;
      if (excluded.includes(v.volumeId)) continue;
      const volTags = copy ? this.emu.volumes.get(v.volumeId)!.tags : {};
      created.push(
        this.emu.newSnapshot(v.volumeId, form.get('Description') ?? '', { ...volTags, ...tags }, account),
      );
    }
    return { snapshotSet: created.map((s) => this.snapshotXml(s, 'state')) };
  }

  private snapshotXml(s: SnapshotRecord, stateTag: 'state' | 'status'): XmlNode {
    const state = this.emu.stateOf(s);
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
      kmsKeyId: s.kmsKeyId,
      tagSet: tagSet(s.tags) as XmlValue,
    };
  }

  private describeSnapshots(form: URLSearchParams, account: string): XmlNode {
    const ids = list(form, 'SnapshotId');
    for (const id of ids) {
      const s = this.emu.snapshotsById.get(id);
      if (!s || s.deleted || s.accountId !== account)
        throw new HttpFault(400, 'InvalidSnapshot.NotFound', `The snapshot '${id}' does not exist.`);
    }
    const owners = list(form, 'Owner').map((o) => (o === 'self' ? account : o));
    const filters = filterList(form);
    let chosen = this.emu.snapshots(account).filter((s) => {
      if (ids.length && !ids.includes(s.snapshotId)) return false;
      if (owners.length && !owners.includes(s.ownerId)) return false;
      return filters.every(([name, values]) => this.snapshotMatches(s, name, values));
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

  private snapshotMatches(s: SnapshotRecord, name: string, values: string[]): boolean {
    const any = (v: string | undefined) => v !== undefined && values.some((p) => wildcard(p, v));
    if (name === 'tag-key') return Object.keys(s.tags).some(any);
    if (name.startsWith('tag:')) return any(s.tags[name.slice(4)]);
    switch (name) {
      case 'status':
        return any(this.emu.stateOf(s));
      case 'volume-id':
        return any(s.volumeId);
      case 'snapshot-id':
        return any(s.snapshotId);
      case 'owner-id':
        return any(s.ownerId);
      case 'start-time':
        return any(s.startTime.toISOString());
      case 'encrypted':
        return any(String(s.encrypted));
      case 'description':
        return any(s.description);
      default:
        throw new HttpFault(400, 'InvalidParameterValue', `The filter '${name}' is invalid`);
    }
  }
}

function instanceMatches(i: InstanceRecord, name: string, values: string[]): boolean {
  const any = (v: string | undefined) => v !== undefined && values.some((p) => wildcard(p, v));
  if (name === 'tag-key') return Object.keys(i.tags).some(any);
  if (name.startsWith('tag:')) return any(i.tags[name.slice(4)]);
  switch (name) {
    case 'instance-state-name':
      return any(i.state);
    case 'instance-state-code':
      return any(String(INSTANCE_STATE_CODES[i.state]));
    case 'instance-id':
      return any(i.instanceId);
    case 'platform-details':
      return any(i.platformDetails);
    default:
      throw new HttpFault(400, 'InvalidParameterValue', `The filter '${name}' is invalid`);
  }
}

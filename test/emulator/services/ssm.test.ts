import {
  DescribeInstanceInformationCommand,
  ListInventoryEntriesCommand,
  paginateDescribeInstanceInformation,
  type SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ssmFor } from '../clients.js';
import { type Emulator, startEmulator } from '../index.js';
import { applicationEntries } from '../services/ssm.js';

const CAPTURE = new Date('2026-12-05T10:00:00Z');

describe('test/emulator/services/ssm', () => {
  let emu: Emulator;
  let ssm: SSMClient;

  beforeAll(async () => {
    emu = await startEmulator();
    ssm = ssmFor(emu.endpoint, 1);
    for (let i = 0; i < 12; i++) {
      emu.services.ssm.manage(`i-${String(i).padStart(17, '0')}`, {
        platformName: i % 2 ? 'Amazon Linux' : 'Debian GNU/Linux',
        platformVersion: i % 2 ? '2023' : '12',
        pingStatus: i === 3 ? 'ConnectionLost' : 'Online',
      });
    }
  });
  afterAll(async () => {
    ssm?.destroy();
    await emu?.close();
  });

  it('DescribeInstanceInformation pages (MaxResults 5) and reports ping status and platform', async () => {
    const seen = [];
    let pages = 0;
    for await (const page of paginateDescribeInstanceInformation({ client: ssm, pageSize: 5 }, {})) {
      pages++;
      seen.push(...(page.InstanceInformationList ?? []));
    }
    expect(pages).toBe(3);
    expect(seen).toHaveLength(12);
    const lost = seen.find((i) => i.InstanceId === 'i-00000000000000003')!;
    expect(lost).toMatchObject({
      PingStatus: 'ConnectionLost',
      PlatformType: 'Linux',
      PlatformName: 'Amazon Linux',
      PlatformVersion: '2023',
      ResourceType: 'EC2Instance',
    });
    expect(lost.LastPingDateTime).toBeInstanceOf(Date);
    const bad = await ssm.send(new DescribeInstanceInformationCommand({ MaxResults: 51 })).catch((e) => e);
    expect(bad.name).toBe('ValidationException');
  });

  it.each([
    {
      name: 'Filters InstanceIds',
      input: { Filters: [{ Key: 'InstanceIds', Values: ['i-00000000000000001', 'i-99999999999999999'] }] },
      ids: ['i-00000000000000001'],
    },
    {
      name: 'InstanceInformationFilterList instanceIds',
      input: {
        InstanceInformationFilterList: [{ key: 'InstanceIds' as const, valueSet: ['i-00000000000000002'] }],
      },
      ids: ['i-00000000000000002'],
    },
    {
      name: 'Filters PingStatus',
      input: { Filters: [{ Key: 'PingStatus', Values: ['ConnectionLost'] }] },
      ids: ['i-00000000000000003'],
    },
  ])('DescribeInstanceInformation $name', async ({ input, ids }) => {
    const out = await ssm.send(new DescribeInstanceInformationCommand(input));
    expect(out.InstanceInformationList?.map((i) => i.InstanceId)).toEqual(ids);
  });

  it('ListInventoryEntries AWS:Application: rpm entries with Release/Epoch, CaptureTime, pages of 50, filters', async () => {
    const pkgs = Array.from({ length: 120 }, (_, i) => ({
      name: `pkg${String(i).padStart(3, '0')}`,
      version: '1.2',
      release: `${i}.amzn2023`,
      epoch: i === 7 ? 2 : undefined,
      arch: i === 5 ? 'noarch' : 'x86_64',
      sourceRpm: `pkg${i}-1.2-${i}.amzn2023.src.rpm`,
      publisher: 'Amazon Linux',
    }));
    emu.services.ssm.setInventory('i-00000000000000001', {
      captureTime: CAPTURE,
      entries: applicationEntries(pkgs, 'rpm'),
    });
    const entries: Record<string, string>[] = [];
    let token: string | undefined;
    let pages = 0;
    do {
      const out = await ssm.send(
        new ListInventoryEntriesCommand({
          InstanceId: 'i-00000000000000001',
          TypeName: 'AWS:Application',
          NextToken: token,
        }),
      );
      pages++;
      expect(out.CaptureTime).toBe('2026-12-05T10:00:00Z');
      expect(out.SchemaVersion).toBe('1.1');
      entries.push(...(out.Entries ?? []));
      token = out.NextToken;
    } while (token);
    expect(pages).toBe(3);
    expect(entries).toHaveLength(120);
    expect(entries[7]).toEqual({
      Name: 'pkg007',
      Publisher: 'Amazon Linux',
      Version: '1.2',
      Release: '7.amzn2023',
      Epoch: '2',
      Architecture: 'x86_64',
      PackageId: 'pkg7-1.2-7.amzn2023.src.rpm',
    });
    expect(entries[0]!.Epoch).toBeUndefined();
    const filtered = await ssm.send(
      new ListInventoryEntriesCommand({
        InstanceId: 'i-00000000000000001',
        TypeName: 'AWS:Application',
        Filters: [{ Key: 'Name', Values: ['pkg00'], Type: 'BeginWith' }],
      }),
    );
    expect(filtered.Entries?.map((e) => e.Name)).toEqual([
      'pkg000',
      'pkg001',
      'pkg002',
      'pkg003',
      'pkg004',
      'pkg005',
      'pkg006',
      'pkg007',
      'pkg008',
      'pkg009',
    ]);
  });

  it('dpkg entries: full Debian version with epoch, amd64 normalised to x86_64, PackageId name_version_arch.deb', () => {
    const [e] = applicationEntries(
      [
        {
          name: 'util-linux',
          version: '2.38.1-5+deb12u3',
          arch: 'amd64',
          section: 'utils',
          publisher: 'Debian',
        },
      ],
      'dpkg',
    );
    expect(e).toEqual({
      Name: 'util-linux',
      Publisher: 'Debian',
      Version: '2.38.1-5+deb12u3',
      ApplicationType: 'utils',
      Architecture: 'x86_64',
      PackageId: 'util-linux_2.38.1-5+deb12u3_amd64.deb',
    });
  });

  it('missing inventory: a managed instance without one answers no entries and no CaptureTime; unmanaged → InvalidInstanceId', async () => {
    const none = await ssm.send(
      new ListInventoryEntriesCommand({ InstanceId: 'i-00000000000000002', TypeName: 'AWS:Application' }),
    );
    expect(none.Entries).toEqual([]);
    expect(none.CaptureTime).toBeUndefined();
    const err = await ssm
      .send(
        new ListInventoryEntriesCommand({ InstanceId: 'i-0000000000000abcd', TypeName: 'AWS:Application' }),
      )
      .catch((e) => e);
    expect(err.name).toBe('InvalidInstanceId');
    const badType = await ssm
      .send(new ListInventoryEntriesCommand({ InstanceId: 'i-00000000000000002', TypeName: 'Application' }))
      .catch((e) => e);
    expect(badType.name).toBe('InvalidTypeNameException');
  });

  it.each([
    { fault: 'throttling', faults: { throttleRate: 1 }, name: 'ThrottlingException', status: 400 },
    { fault: '5xx', faults: { serverErrorRate: 1 }, name: 'InternalServerError', status: 500 },
  ])('$fault answers $name in the JSON 1.1 shape', async ({ faults, name, status }) => {
    emu.configure({ faults: { ...faults, actions: ['ssm:*'] } });
    const err = await ssm.send(new DescribeInstanceInformationCommand({})).catch((e) => e);
    emu.configure({ faults: {} });
    expect(err.name).toBe(name);
    expect(err.$metadata.httpStatusCode).toBe(status);
  });
});

/**
 * AWS Systems Manager (JSON 1.1, `X-Amz-Target: AmazonSSM.<Operation>`, API 2014-11-06):
 *   DescribeInstanceInformation  agents registered with SSM: PingStatus Online / ConnectionLost /
 *                                Inactive, PlatformType/Name/Version, AgentVersion, LastPingDateTime;
 *                                InstanceInformationFilterList (key/valueSet) and Filters (Key/Values:
 *                                InstanceIds, PingStatus, PlatformTypes, ResourceType); MaxResults
 *                                5..50 + NextToken
 *   ListInventoryEntries         one instance's inventory of a type (AWS:Application here), with
 *                                CaptureTime and SchemaVersion; Filters (Equal, NotEqual, BeginWith);
 *                                MaxResults 1..50 + NextToken. A managed instance whose inventory never
 *                                ran answers no entries and no CaptureTime; an instance SSM does not
 *                                know answers InvalidInstanceId.
 * Entries of AWS:Application carry what the SSM agent's application gatherer reports: for rpm Name,
 * Publisher (VENDOR), Version, Release, Epoch ("" when none), InstalledTime, ApplicationType (GROUP),
 * Architecture, URL, Summary, PackageId (the source rpm file name); for dpkg Name, Publisher
 * (Maintainer), Version (the full Debian version, epoch included), ApplicationType (Section),
 * Architecture, URL, Summary, PackageId (`name_version_arch.deb`). Architecture is normalised as the
 * agent does (amd64 → x86_64). Empty attributes are left out. An agent belongs to its instance's
 * account: a caller sees only its own account's agents and inventories.
 *
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_DescribeInstanceInformation.html
 * https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_ListInventoryEntries.html
 * https://docs.aws.amazon.com/systems-manager/latest/userguide/inventory-schema.html
 */
import type { ServerResponse } from 'node:http';
import { HttpFault, sendAwsJsonError, sendJson } from '../protocol.js';
import type { Emulator } from '../server.js';
import type { EmulatorCall, EmulatorService } from './types.js';

export type PingStatus = 'Online' | 'ConnectionLost' | 'Inactive';

export interface AgentSpec {
  pingStatus?: PingStatus;
  /** `Linux` (default), `Windows`, `MacOS`. */
  platformType?: string;
  /** As the agent reports it: `Amazon Linux`, `Debian GNU/Linux`, `AlmaLinux`, `Ubuntu`, … */
  platformName: string;
  platformVersion: string;
  agentVersion?: string;
  lastPingDateTime?: Date;
  /** Default: the account of the emulated instance, else the emulator's default account. */
  accountId?: string;
}

export interface InventorySpec {
  captureTime: Date;
  entries: Record<string, string>[];
  typeName?: string;
  schemaVersion?: string;
}

/** A package as a test describes it; `applicationEntries` turns it into SSM's AWS:Application entry. */
export interface InventoryPackage {
  name: string;
  /** dpkg: the full version (`1:2.38-5+b1`); rpm: VERSION. */
  version: string;
  release?: string;
  epoch?: string | number;
  arch: string;
  publisher?: string;
  section?: string;
  summary?: string;
  url?: string;
  /** rpm: the source rpm file name (`bash-5.1.8-4.el9.src.rpm`). */
  sourceRpm?: string;
  installedTime?: Date;
}

interface Agent extends Required<Omit<AgentSpec, 'lastPingDateTime' | 'accountId'>> {
  accountId: string;
  instanceId: string;
  lastPingDateTime: Date;
  registrationDate: Date;
}

const APPLICATION = 'AWS:Application';

/** The agent's normalisation of package architectures (dpkg amd64 and rpm x86_64 read the same). */
export function ssmArchitecture(arch: string): string {
  if (arch === 'amd64') return 'x86_64';
  if (arch === 'i686' || arch === 'i586') return 'i386';
  return arch;
}

/** Packages → AWS:Application entries, in the shape SSM returns for each package manager. */
export function applicationEntries(
  packages: InventoryPackage[],
  manager: 'dpkg' | 'rpm',
): Record<string, string>[] {
  return packages.map((p) => {
    const e: Record<string, string | undefined> =
      manager === 'dpkg'
        ? {
            Name: p.name,
            Publisher: p.publisher,
            Version: p.version,
            ApplicationType: p.section,
            Architecture: ssmArchitecture(p.arch),
            URL: p.url,
            Summary: p.summary,
            PackageId: `${p.name}_${p.version}_${p.arch}.deb`,
          }
        : {
            Name: p.name,
            Publisher: p.publisher,
            Version: p.version,
            Release: p.release,
            Epoch: p.epoch === undefined || p.epoch === '' ? undefined : String(p.epoch),
            InstalledTime: p.installedTime?.toISOString().replace(/\.\d{3}Z$/, 'Z'),
            ApplicationType: p.section,
            Architecture: ssmArchitecture(p.arch),
            URL: p.url,
            Summary: p.summary,
            PackageId: p.sourceRpm,
          };
    return Object.fromEntries(Object.entries(e).filter(([, v]) => v !== undefined && v !== '')) as Record<
      string,
      string
    >;
  });
}

export class SsmService implements EmulatorService {
  readonly id = 'ssm';
  readonly jsonTargetPrefix = 'AmazonSSM';
  private readonly agents = new Map<string, Agent>();
  private readonly inventories = new Map<string, InventorySpec>();

  constructor(private readonly emu: Emulator) {}

  // ---- test accessors -----------------------------------------------------------------------

  /** Registers (or updates) the SSM agent of an instance. */
  manage(instanceId: string, spec: AgentSpec): void {
    const now = new Date();
    this.agents.set(instanceId, {
      instanceId,
      pingStatus: spec.pingStatus ?? 'Online',
      platformType: spec.platformType ?? 'Linux',
      platformName: spec.platformName,
      platformVersion: spec.platformVersion,
      agentVersion: spec.agentVersion ?? '3.3.1142.0',
      lastPingDateTime: spec.lastPingDateTime ?? now,
      registrationDate: this.agents.get(instanceId)?.registrationDate ?? now,
      accountId:
        spec.accountId ?? this.emu.instances.get(instanceId)?.accountId ?? this.emu.options.accountId,
    });
  }

  setPingStatus(instanceId: string, pingStatus: PingStatus): void {
    const a = this.agents.get(instanceId);
    if (!a) throw new Error(`ssm: ${instanceId} is not managed`);
    a.pingStatus = pingStatus;
  }

  unmanage(instanceId: string): void {
    this.agents.delete(instanceId);
    this.inventories.delete(instanceId);
  }

  /** Sets the AWS:Application inventory the agent last reported. */
  setInventory(instanceId: string, inv: InventorySpec): void {
    if (!this.agents.has(instanceId)) throw new Error(`ssm: ${instanceId} is not managed`);
    this.inventories.set(instanceId, { ...inv, entries: inv.entries.map((e) => ({ ...e })) });
  }

  clearInventory(instanceId: string): void {
    this.inventories.delete(instanceId);
  }

  managed(): string[] {
    return [...this.agents.keys()];
  }

  inventory(instanceId: string): InventorySpec | undefined {
    return this.inventories.get(instanceId);
  }

  // ---- wire ---------------------------------------------------------------------------------

  readonly faultReplies = {
    throttle: (res: ServerResponse) => sendAwsJsonError(res, 400, 'ThrottlingException', 'Rate exceeded'),
    serverError: (res: ServerResponse) =>
      sendAwsJsonError(res, 500, 'InternalServerError', 'An error occurred on the server side.'),
  };

  sendFault(call: EmulatorCall, status: number, code: string, message: string): void {
    sendAwsJsonError(call.res, status, code, message);
  }

  async handle(call: EmulatorCall): Promise<void> {
    const body = call.json ?? {};
    if (call.action === 'DescribeInstanceInformation') return this.describe(body, call.res, call.account);
    if (call.action === 'ListInventoryEntries') return this.listInventory(body, call.res, call.account);
    throw new HttpFault(
      400,
      'UnknownOperationException',
      `${call.action} is not implemented by the emulator`,
    );
  }

  private describe(body: Record<string, unknown>, res: ServerResponse, account: string): void {
    const max = pageSize(body.MaxResults, 5, 50, 50);
    const conditions: [string, string[]][] = [];
    for (const f of (body.InstanceInformationFilterList as { key?: string; valueSet?: string[] }[]) ?? [])
      conditions.push([f.key ?? '', f.valueSet ?? []]);
    for (const f of (body.Filters as { Key?: string; Values?: string[] }[]) ?? [])
      conditions.push([f.Key ?? '', f.Values ?? []]);
    const list = [...this.agents.values()].filter(
      (a) =>
        a.accountId === account &&
        conditions.every(([key, values]) => {
          switch (key) {
            case 'InstanceIds':
              return values.includes(a.instanceId);
            case 'PingStatus':
              return values.includes(a.pingStatus);
            case 'PlatformTypes':
              return values.includes(a.platformType);
            case 'ResourceType':
              return values.includes('EC2Instance');
            case 'AgentVersion':
              return values.includes(a.agentVersion);
            default:
              throw new HttpFault(
                400,
                'InvalidInstanceInformationFilterValue',
                `filter key ${key} is not valid`,
              );
          }
        }),
    );
    const start = offset(body.NextToken);
    const page = list.slice(start, start + max);
    sendJson(
      res,
      200,
      {
        InstanceInformationList: page.map((a) => ({
          InstanceId: a.instanceId,
          PingStatus: a.pingStatus,
          LastPingDateTime: a.lastPingDateTime.getTime() / 1000,
          AgentVersion: a.agentVersion,
          IsLatestVersion: true,
          PlatformType: a.platformType,
          PlatformName: a.platformName,
          PlatformVersion: a.platformVersion,
          ResourceType: 'EC2Instance',
          IPAddress: '10.0.0.1',
          ComputerName: `ip-10-0-0-1.${this.emu.options.region}.compute.internal`,
          RegistrationDate: a.registrationDate.getTime() / 1000,
          SourceId: a.instanceId,
          SourceType: 'AWS::EC2::Instance',
          AssociationStatus: 'Success',
        })),
        ...(start + max < list.length ? { NextToken: token(start + max) } : {}),
      },
      'application/x-amz-json-1.1',
    );
  }

  private listInventory(body: Record<string, unknown>, res: ServerResponse, account: string): void {
    const instanceId = String(body.InstanceId ?? '');
    const typeName = String(body.TypeName ?? '');
    if (!/^(AWS|Custom):[A-Za-z0-9_.-]+$/.test(typeName))
      throw new HttpFault(
        400,
        'InvalidTypeNameException',
        `The parameter type name ${typeName} is not valid.`,
      );
    if (this.agents.get(instanceId)?.accountId !== account)
      throw new HttpFault(400, 'InvalidInstanceId', `Instance Id ${instanceId} is not valid.`);
    const max = pageSize(body.MaxResults, 1, 50, 50);
    const inv = this.inventories.get(instanceId);
    const filters = (body.Filters as { Key: string; Values: string[]; Type?: string }[]) ?? [];
    const all =
      inv && (inv.typeName ?? APPLICATION) === typeName
        ? inv.entries.filter((e) =>
            filters.every((f) => {
              const v = e[f.Key] ?? '';
              switch (f.Type ?? 'Equal') {
                case 'Equal':
                  return f.Values.includes(v);
                case 'NotEqual':
                  return !f.Values.includes(v);
                case 'BeginWith':
                  return f.Values.some((p) => v.startsWith(p));
                default:
                  throw new HttpFault(
                    400,
                    'InvalidFilter',
                    `filter type ${f.Type} is not supported by the emulator`,
                  );
              }
            }),
          )
        : undefined;
    const start = offset(body.NextToken);
    const out: Record<string, unknown> = { TypeName: typeName, InstanceId: instanceId, Entries: [] };
    if (all && inv) {
      out.SchemaVersion = inv.schemaVersion ?? '1.1';
      // ListInventoryEntries gives CaptureTime as an ISO-8601 string, not a JSON timestamp.
      out.CaptureTime = inv.captureTime.toISOString().replace(/\.\d{3}Z$/, 'Z');
      out.Entries = all.slice(start, start + max);
      if (start + max < all.length) out.NextToken = token(start + max);
    }
    sendJson(res, 200, out, 'application/x-amz-json-1.1');
  }
}

function pageSize(v: unknown, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min || n > max)
    throw new HttpFault(400, 'ValidationException', `MaxResults must be in ${min}..${max}`);
  return n;
}

function token(n: number): string {
  return Buffer.from(`emulator-page:${n}`).toString('base64');
}

function offset(t: unknown): number {
  if (t === undefined || t === null || t === '') return 0;
  const m = /^emulator-page:(\d+)$/.exec(Buffer.from(String(t), 'base64').toString('utf8'));
  if (!m) throw new HttpFault(400, 'InvalidNextToken', 'The specified token is not valid.');
  return Number(m[1]);
}

/**
 * STS Query API (POST /, `Action=…`, awsQuery XML, API 2011-06-15): GetCallerIdentity and AssumeRole.
 * Roles are registered by tests (`addRole`, with an optional external id the trust policy requires);
 * an unknown role or a wrong/missing external id is AccessDenied, as STS answers. Credentials handed
 * out by AssumeRole are remembered, so GetCallerIdentity signed with them names the role's account
 * and assumed-role ARN (the access key id comes from the SigV4 Authorization header); the server
 * makes EC2, EBS and SSM requests signed with them act as that account, and refuses them with
 * ExpiredToken after `expiration`. `sessionLifetimeMs` lets a test issue sessions shorter than STS's
 * 15-minute minimum (to see them renewed).
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 */
import { randomBytes, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { HttpFault, sendQueryError, sendXml } from '../protocol.js';
import type { Emulator } from '../server.js';
import { document } from '../xml.js';
import type { EmulatorCall, EmulatorService } from './types.js';

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export interface EmulatedRole {
  arn: string;
  account: string;
  name: string;
  externalId?: string;
}

export interface AssumedSession {
  accessKeyId: string;
  roleArn: string;
  account: string;
  sessionName: string;
  expiration: Date;
}

export class StsService implements EmulatorService {
  readonly id = 'sts';
  readonly queryActions = ['GetCallerIdentity', 'AssumeRole'];
  private readonly roles = new Map<string, EmulatedRole>();
  /** Every successful AssumeRole, by the access key id it returned. */
  readonly sessions = new Map<string, AssumedSession>();
  /** AssumeRole attempts, successful or not (role ARN and outcome), in order. */
  readonly assumeCalls: { roleArn: string; ok: boolean; code?: string; externalId?: string }[] = [];
  /** When set, every session lasts this long, whatever DurationSeconds asked (tests of renewal). */
  sessionLifetimeMs: number | undefined;

  constructor(private readonly emu: Emulator) {}

  /** Registers `arn:aws:iam::ACCOUNT:role/NAME`; `externalId` is then required to assume it. */
  addRole(account: string, name: string, o: { externalId?: string } = {}): string {
    const arn = `arn:aws:iam::${account}:role/${name}`;
    this.roles.set(arn, { arn, account, name, ...(o.externalId ? { externalId: o.externalId } : {}) });
    return arn;
  }

  readonly faultReplies = {
    throttle: (res: ServerResponse) => sendQueryError(res, 400, 'Throttling', 'Rate exceeded'),
    serverError: (res: ServerResponse) => sendQueryError(res, 500, 'InternalFailure', 'Internal failure'),
  };

  sendFault(call: EmulatorCall, status: number, code: string, message: string): void {
    sendQueryError(call.res, status, code, message);
  }

  async handle(call: EmulatorCall): Promise<void> {
    if (call.action === 'AssumeRole') return this.assumeRole(call);
    if (call.action !== 'GetCallerIdentity') throw new HttpFault(400, 'InvalidAction', call.action);
    const akid = /Credential=([^/]+)\//.exec(String(call.req.headers.authorization ?? ''))?.[1];
    const session = akid ? this.sessions.get(akid) : undefined;
    const account = session?.account ?? this.emu.options.accountId;
    const body = document('GetCallerIdentityResponse', STS_NS, {
      GetCallerIdentityResult: {
        Arn: session
          ? `arn:aws:sts::${session.account}:assumed-role/${session.roleArn.split('/').pop()}/${session.sessionName}`
          : `arn:aws:iam::${account}:user/snapscan-emulator`,
        UserId: session ? `AROAEMULATOR:${session.sessionName}` : 'AIDAEMULATOR',
        Account: account,
      },
      ResponseMetadata: { RequestId: randomUUID() },
    });
    sendXml(call.res, 200, body);
  }

  private assumeRole(call: EmulatorCall): void {
    const f = call.form!;
    const roleArn = f.get('RoleArn') ?? '';
    const sessionName = f.get('RoleSessionName') ?? '';
    if (!/^[\w+=,.@-]{2,64}$/.test(sessionName))
      throw new HttpFault(400, 'ValidationError', 'Value at roleSessionName failed to satisfy constraint');
    const duration = Number(f.get('DurationSeconds') ?? 3600);
    if (!Number.isSafeInteger(duration) || duration < 900 || duration > 43_200)
      throw new HttpFault(400, 'ValidationError', 'Value at durationSeconds failed to satisfy constraint');
    const role = this.roles.get(roleArn);
    const caller = `arn:aws:iam::${call.account}:user/snapscan-emulator`;
    const externalId = f.get('ExternalId') ?? undefined;
    if (!role || (role.externalId !== undefined && role.externalId !== externalId)) {
      this.assumeCalls.push({
        roleArn,
        ok: false,
        code: 'AccessDenied',
        ...(externalId ? { externalId } : {}),
      });
      throw new HttpFault(
        403,
        'AccessDenied',
        `User: ${caller} is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`,
      );
    }
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const expiration = new Date(Date.now() + (this.sessionLifetimeMs ?? duration * 1000));
    this.sessions.set(accessKeyId, { accessKeyId, roleArn, account: role.account, sessionName, expiration });
    this.assumeCalls.push({ roleArn, ok: true, ...(externalId ? { externalId } : {}) });
    const body = document('AssumeRoleResponse', STS_NS, {
      AssumeRoleResult: {
        Credentials: {
          AccessKeyId: accessKeyId,
          SecretAccessKey: randomBytes(20).toString('base64'),
          SessionToken: randomBytes(32).toString('base64'),
          Expiration: expiration.toISOString(),
        },
        AssumedRoleUser: {
          AssumedRoleId: `AROAEMULATOR:${sessionName}`,
          Arn: `arn:aws:sts::${role.account}:assumed-role/${role.name}/${sessionName}`,
        },
      },
      ResponseMetadata: { RequestId: randomUUID() },
    });
    sendXml(call.res, 200, body);
  }
}

/**
 * Member accounts: which accounts a pass covers, the STS sessions in each, and the per-account client
 * factory the planner and the scan workers share.
 *
 *   --accounts 111111111111,222222222222   the list as given
 *   --organization                          AWS Organizations ListAccounts (paginated), ACTIVE only:
 *                                           SUSPENDED and PENDING_CLOSURE accounts are skipped (logged)
 *   --role-name snapscan-member             assumed in every listed account but the central one
 *   --external-id ID                        sent with every AssumeRole (the member role's trust policy)
 *
 * The central account (the caller's, from GetCallerIdentity) is scanned with its own credentials when
 * it is listed; with no list at all the pass covers it alone, as before. A member's session comes from
 * STS AssumeRole through the central STS client (so AWS_ENDPOINT_URL_STS, region and the credential
 * chain apply), is cached per account and renewed `renewBeforeMs` before it expires; concurrent callers
 * share one AssumeRole. Every EC2/SSM client of a member signs with that session, and the scan workers
 * get the session's credentials for their EBS direct reads: snapshots are created, read and deleted
 * in the account they were taken in, never shared or copied out of it.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRole.html
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html
 */
import type { EC2Client } from '@aws-sdk/client-ec2';
import type { OrganizationsClient } from '@aws-sdk/client-organizations';
import type { SSMClient } from '@aws-sdk/client-ssm';
import type { STSClient } from '@aws-sdk/client-sts';
import type { AwsCredentialIdentity, AwsCredentialIdentityProvider } from '@aws-sdk/types';
import {
  createEc2Client,
  createEventBridgeClient,
  createOrganizationsClient,
  createSsmClient,
  createStsClient,
  organizationsSdk,
  stsSdk,
} from '../engine/aws/clients.js';
import { checkAborted, ScanError } from '../engine/errors.js';
import { type CoverageRecord, statusCodeOf } from './coverage.js';
import type { SchedulerClients } from './pass.js';

const ACCOUNT_ID = /^\d{12}$/;
/** IAM role names (with an optional path): https://docs.aws.amazon.com/IAM/latest/APIReference/API_CreateRole.html */
const ROLE_NAME = /^(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
/** ListAccounts pages read at most (20 accounts each: 20,000 accounts). */
export const MAX_ORGANIZATION_PAGES = 1000;
/** Requested session length; a member role's MaxSessionDuration is at least one hour. */
export const DEFAULT_SESSION_SECONDS = 3600;
/**
 * A session is renewed when less than this is left. The scan workers receive the session's
 * credentials when a volume's read starts, so this is also how long one volume's read may take.
 */
export const DEFAULT_RENEW_BEFORE_MS = 15 * 60_000;

export interface MemberAccountsConfig {
  /** Explicit list (12-digit ids). */
  accounts?: string[];
  /** List the organization's ACTIVE accounts instead. */
  organization?: boolean;
  roleName: string;
  externalId?: string;
  sessionSeconds?: number;
  renewBeforeMs?: number;
  /** RoleSessionName (CloudTrail shows it in each member account). */
  sessionName?: string;
}

/** Parses `--accounts`: comma-separated 12-digit ids, duplicates dropped, order kept. */
export function parseAccountList(text: string): string[] {
  const ids = text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  for (const id of ids)
    if (!ACCOUNT_ID.test(id))
      throw new ScanError('invalid-argument', `--accounts: "${id}" is not a 12-digit AWS account id`);
  if (ids.length === 0) throw new ScanError('invalid-argument', '--accounts: no account id given');
  return [...new Set(ids)];
}

export function checkRoleName(name: string): string {
  if (!ROLE_NAME.test(name) || name.length > 512)
    throw new ScanError('invalid-argument', `--role-name: "${name}" is not an IAM role name`);
  return name;
}

export interface OrganizationAccounts {
  active: { id: string; name?: string }[];
  /** Listed but not scanned: SUSPENDED, PENDING_CLOSURE (their roles cannot be assumed anyway). */
  skipped: { id: string; status: string }[];
}

/** Organizations ListAccounts, every page (bounded), split into ACTIVE accounts and the others. */
export async function listOrganizationAccounts(
  org: Pick<OrganizationsClient, 'send'>,
  signal?: AbortSignal,
): Promise<OrganizationAccounts> {
  const out: OrganizationAccounts = { active: [], skipped: [] };
  const seen = new Set<string>();
  let token: string | undefined;
  for (let page = 0; ; page++) {
    checkAborted(signal);
    if (page >= MAX_ORGANIZATION_PAGES)
      throw new ScanError(
        'limit-exceeded',
        `organizations: ListAccounts: more than ${MAX_ORGANIZATION_PAGES} pages`,
      );
    let res: {
      Accounts?: { Id?: string; Name?: string; Status?: string; State?: string }[];
      NextToken?: string;
    };
    try {
      res = await org.send(
        new (organizationsSdk().ListAccountsCommand)({ ...(token ? { NextToken: token } : {}) }),
        signal ? { abortSignal: signal as never } : {},
      );
    } catch (err) {
      const e = err as Error;
      // Without the list no account can be planned: the pass fails with this one line.
      throw new ScanError('aws-error', `organizations:ListAccounts: ${e.name}: ${e.message}`, { cause: err });
    }
    for (const a of res.Accounts ?? []) {
      if (!a.Id || !ACCOUNT_ID.test(a.Id) || seen.has(a.Id)) continue;
      seen.add(a.Id);
      // `State` supersedes `Status` (deprecated 2025); read whichever is present.
      const status = String(a.State ?? a.Status ?? 'ACTIVE');
      if (status === 'ACTIVE') out.active.push({ id: a.Id, ...(a.Name ? { name: a.Name } : {}) });
      else out.skipped.push({ id: a.Id, status });
    }
    if (!res.NextToken || res.NextToken === token) break;
    token = res.NextToken;
  }
  return out;
}

interface CachedSession {
  credentials?: AwsCredentialIdentity;
  pending?: Promise<AwsCredentialIdentity>;
}

/**
 * STS sessions in the member accounts: one per account, cached, renewed before expiry. A failed
 * AssumeRole is not cached (the next call tries again) and comes back as a ScanError whose message
 * carries STS's error name and message (`AccessDenied: User … is not authorized to perform …`);
 * a failed renewal while the current session is still valid keeps that session.
 */
export class MemberSessions {
  private readonly sessions = new Map<string, CachedSession>();
  private readonly providers = new Map<string, AwsCredentialIdentityProvider>();
  /** AssumeRole calls made (successful or not). */
  assumeRoleCalls = 0;

  constructor(
    private readonly sts: Pick<STSClient, 'send'>,
    private readonly o: {
      roleName: string;
      externalId?: string;
      sessionSeconds?: number;
      renewBeforeMs?: number;
      sessionName?: string;
      /** `aws` (default), `aws-cn`, `aws-us-gov`. */
      partition?: string;
      now?: () => Date;
    },
  ) {}

  roleArn(accountId: string): string {
    return `arn:${this.o.partition ?? 'aws'}:iam::${accountId}:role/${this.o.roleName}`;
  }

  /** The account's credentials: the cached session while it has more than renewBeforeMs left. */
  async credentials(accountId: string): Promise<AwsCredentialIdentity> {
    const now = (this.o.now ?? (() => new Date()))().getTime();
    const renewBefore = this.o.renewBeforeMs ?? DEFAULT_RENEW_BEFORE_MS;
    const s = this.sessions.get(accountId) ?? {};
    this.sessions.set(accountId, s);
    const c = s.credentials;
    if (c && (c.expiration === undefined || c.expiration.getTime() - now > renewBefore)) return c;
    s.pending ??= this.assume(accountId).finally(() => {
      delete s.pending;
    });
    try {
      const fresh = await s.pending;
      s.credentials = fresh;
      return fresh;
    } catch (err) {
      // A renewal that fails (STS throttled, briefly unreachable) while the session still has time
      // left keeps the session: the next call tries again. An expired or absent one cannot.
      if (c?.expiration && c.expiration.getTime() > now) return c;
      throw err;
    }
  }

  /** A credential provider for SDK clients (each call goes through the cache above). */
  provider(accountId: string): AwsCredentialIdentityProvider {
    let p = this.providers.get(accountId);
    if (!p) {
      p = () => this.credentials(accountId);
      this.providers.set(accountId, p);
    }
    return p;
  }

  private async assume(accountId: string): Promise<AwsCredentialIdentity> {
    const roleArn = this.roleArn(accountId);
    this.assumeRoleCalls++;
    try {
      const r = await this.sts.send(
        new (stsSdk().AssumeRoleCommand)({
          RoleArn: roleArn,
          RoleSessionName: this.o.sessionName ?? 'snapscan',
          DurationSeconds: this.o.sessionSeconds ?? DEFAULT_SESSION_SECONDS,
          ...(this.o.externalId !== undefined ? { ExternalId: this.o.externalId } : {}),
        }),
      );
      const c = r.Credentials;
      if (!c?.AccessKeyId || !c.SecretAccessKey)
        throw new ScanError('aws-error', `sts:AssumeRole ${roleArn}: no credentials in the answer`);
      return {
        accessKeyId: c.AccessKeyId,
        secretAccessKey: c.SecretAccessKey,
        ...(c.SessionToken ? { sessionToken: c.SessionToken } : {}),
        ...(c.Expiration ? { expiration: new Date(c.Expiration) } : {}),
      };
    } catch (err) {
      if (err instanceof ScanError) throw err;
      const e = err as Error;
      throw new ScanError('aws-error', `sts:AssumeRole ${roleArn}: ${e.name}: ${e.message}`, { cause: err });
    }
  }
}

/** One account of a pass: scanned with the central credentials, or through its member session. */
export interface PassAccount {
  accountId: string;
  central: boolean;
}

export interface AccountPlan {
  accounts: PassAccount[];
  /** Listed, but the role could not be assumed: no discovery there this pass. */
  denied: { accountId: string; error: { name: string; message: string } }[];
  /** Listed by Organizations but not ACTIVE. */
  skipped: { accountId: string; status: string }[];
}

/**
 * The per-account clients of the scheduler: `ec2(region, accountId)` / `ssm(region, accountId)`
 * (accountId undefined or the central account: the central credentials from the standard chain),
 * `credentials(accountId)` for EBS direct reads in the scan workers (undefined: the standard chain),
 * and `planAccounts` to resolve which accounts a pass covers. Clients are cached per account and
 * region and destroyed together.
 */
export interface AccountClients extends SchedulerClients {
  /**
   * Names the central account without a pass (planAccounts does it for the planner): a process that
   * only runs jobs (a scan worker) calls it once with its GetCallerIdentity account, so that jobs of
   * the central account use its own credentials and the others their member sessions.
   */
  setCentralAccount(accountId: string): void;
  destroy(): void;
}

export interface AccountClientsOptions {
  regions: string[];
  eventsBus?: string;
  members?: MemberAccountsConfig;
  now?: () => Date;
  log?: (line: string) => void;
}

export function createAccountClients(o: AccountClientsOptions): AccountClients {
  const home = o.regions[0] ? { region: o.regions[0] } : {};
  const sts = createStsClient(home);
  let organizations: OrganizationsClient | undefined;
  let central: string | undefined;
  let sessions: MemberSessions | undefined;
  const ec2s = new Map<string, EC2Client>();
  const ssms = new Map<string, SSMClient>();
  const member = (accountId: string | undefined): string | undefined =>
    o.members && accountId !== undefined && central !== undefined && accountId !== central
      ? accountId
      : undefined;
  const sessionsFor = (): MemberSessions => {
    sessions ??= new MemberSessions(sts, {
      roleName: o.members!.roleName,
      ...(o.members!.externalId !== undefined ? { externalId: o.members!.externalId } : {}),
      ...(o.members!.sessionSeconds ? { sessionSeconds: o.members!.sessionSeconds } : {}),
      ...(o.members!.renewBeforeMs !== undefined ? { renewBeforeMs: o.members!.renewBeforeMs } : {}),
      ...(o.members!.sessionName ? { sessionName: o.members!.sessionName } : {}),
      partition: partitionOfRegion(o.regions[0]),
      ...(o.now ? { now: o.now } : {}),
    });
    return sessions;
  };
  const cached = <C>(
    cache: Map<string, C>,
    region: string,
    accountId: string | undefined,
    make: (x: object) => C,
  ) => {
    const m = member(accountId);
    const key = `${m ?? 'central'}|${region}`;
    let c = cache.get(key);
    if (!c) {
      c = make({ region, ...(m ? { credentials: sessionsFor().provider(m) } : {}) });
      cache.set(key, c);
    }
    return c;
  };
  const clients: AccountClients = {
    sts,
    ...(o.eventsBus ? { events: createEventBridgeClient(home) } : {}),
    ec2: (region, accountId) => cached(ec2s, region, accountId, (x) => createEc2Client(x)),
    ssm: (region, accountId) => cached(ssms, region, accountId, (x) => createSsmClient(x)),
    setCentralAccount: (accountId) => {
      central = accountId;
    },
    credentials: (accountId) => {
      const m = member(accountId);
      return m ? sessionsFor().provider(m) : undefined;
    },
    destroy() {
      for (const c of ec2s.values()) c.destroy();
      for (const c of ssms.values()) c.destroy();
      sts.destroy();
      organizations?.destroy();
      clients.events?.destroy();
    },
  };
  if (!o.members) return clients;
  const members = o.members;
  /** Which accounts a pass covers: every listed member's role is assumed (or its session reused) to check it. */
  clients.planAccounts = async (centralAccount, signal) => {
    central = centralAccount;
    const plan: AccountPlan = { accounts: [], denied: [], skipped: [] };
    let ids: string[];
    if (members.organization) {
      organizations ??= createOrganizationsClient(home);
      const listed = await listOrganizationAccounts(organizations, signal);
      ids = listed.active.map((a) => a.id);
      plan.skipped = listed.skipped.map((s) => ({ accountId: s.id, status: s.status }));
      for (const s of plan.skipped) o.log?.(`account ${s.accountId}: ${s.status}, skipped`);
    } else ids = members.accounts ?? [];
    for (const accountId of ids) {
      checkAborted(signal);
      if (accountId === centralAccount) {
        plan.accounts.push({ accountId, central: true });
        continue;
      }
      try {
        await sessionsFor().credentials(accountId);
        plan.accounts.push({ accountId, central: false });
      } catch (err) {
        const e = err as Error;
        const cause = (e.cause as Error | undefined) ?? e;
        plan.denied.push({ accountId, error: { name: cause.name, message: e.message } });
        o.log?.(`account ${accountId}: ${e.message}`);
      }
    }
    return plan;
  };
  return clients;
}

/** The partition of a region, for the member role ARNs (`cn-north-1` → `aws-cn`). */
export function partitionOfRegion(region: string | undefined): string {
  if (region?.startsWith('cn-')) return 'aws-cn';
  if (region?.startsWith('us-gov-')) return 'aws-us-gov';
  return 'aws';
}

/**
 * Coverage of the accounts a pass could not enter: one AWS_ACCOUNT record per region for each
 * listed account whose role could not be assumed (ACCESS_DENIED when STS said so, with its message;
 * else INTERNAL_ERROR). Its instances keep their last records; nothing there is scanned or deleted.
 */
export function accountCoverage(plan: AccountPlan, regions: readonly string[]): CoverageRecord[] {
  return plan.denied.flatMap((d) =>
    regions.map((region): CoverageRecord => {
      const reason = /AccessDenied|not authorized/i.test(`${d.error.name} ${d.error.message}`)
        ? 'ACCESS_DENIED'
        : 'INTERNAL_ERROR';
      return {
        resourceId: d.accountId,
        accountId: d.accountId,
        region,
        resourceType: 'AWS_ACCOUNT',
        scanStatus: { statusCode: statusCodeOf(reason), reason },
        pass: 'failed',
        message: d.error.message,
      };
    }),
  );
}

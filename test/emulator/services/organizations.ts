/**
 * AWS Organizations (JSON 1.1, `X-Amz-Target: AWSOrganizationsV20161128.<Operation>`): ListAccounts,
 * paginated (MaxResults 1..20, opaque NextToken) as Organizations pages it, with each account's
 * Status (ACTIVE, SUSPENDED, PENDING_CLOSURE). Accounts are registered by tests (`addAccount`); with
 * none registered the caller is not in an organization (AWSOrganizationsNotInUseException).
 * https://docs.aws.amazon.com/organizations/latest/APIReference/API_ListAccounts.html
 */
import type { ServerResponse } from 'node:http';
import { HttpFault, sendAwsJsonError, sendJson } from '../protocol.js';
import type { Emulator } from '../server.js';
import type { EmulatorCall, EmulatorService } from './types.js';

export const MAX_LIST_ACCOUNTS_RESULTS = 20;

export interface OrgAccount {
  id: string;
  name: string;
  email: string;
  status: 'ACTIVE' | 'SUSPENDED' | 'PENDING_CLOSURE';
  joinedAt: Date;
}

export class OrganizationsService implements EmulatorService {
  readonly id = 'organizations';
  readonly jsonTargetPrefix = 'AWSOrganizationsV20161128';
  readonly accounts: OrgAccount[] = [];

  constructor(private readonly emu: Emulator) {}

  addAccount(id: string, o: { name?: string; status?: OrgAccount['status'] } = {}): void {
    this.accounts.push({
      id,
      name: o.name ?? `account-${id}`,
      email: `aws+${id}@example.com`,
      status: o.status ?? 'ACTIVE',
      joinedAt: new Date('2024-01-01T00:00:00Z'),
    });
  }

  readonly faultReplies = {
    throttle: (res: ServerResponse) =>
      sendAwsJsonError(
        res,
        400,
        'TooManyRequestsException',
        "AWS Organizations can't complete your request because another request is already in progress.",
      ),
    serverError: (res: ServerResponse) => sendAwsJsonError(res, 500, 'ServiceException', 'Internal error'),
  };

  sendFault(call: EmulatorCall, status: number, code: string, message: string): void {
    sendAwsJsonError(call.res, status, code, message);
  }

  async handle(call: EmulatorCall): Promise<void> {
    if (call.action !== 'ListAccounts')
      throw new HttpFault(
        400,
        'UnsupportedAPIEndpointException',
        `${call.action} is not implemented by the emulator`,
      );
    if (this.accounts.length === 0)
      throw new HttpFault(
        400,
        'AWSOrganizationsNotInUseException',
        'Your account is not a member of an organization.',
      );
    const j = call.json ?? {};
    const max = j.MaxResults === undefined ? MAX_LIST_ACCOUNTS_RESULTS : Number(j.MaxResults);
    if (!Number.isSafeInteger(max) || max < 1 || max > MAX_LIST_ACCOUNTS_RESULTS)
      throw new HttpFault(
        400,
        'InvalidInputException',
        'You provided a value that does not match the required pattern.',
      );
    let start = 0;
    if (j.NextToken !== undefined) {
      const m = /^page-(\d+)$/.exec(String(j.NextToken));
      if (!m) throw new HttpFault(400, 'InvalidInputException', 'The NextToken value is not valid.');
      start = Number(m[1]);
    }
    const page = this.accounts.slice(start, start + max);
    const org = `o-emulator${this.emu.options.accountId.slice(0, 4)}`;
    const next = start + max < this.accounts.length ? `page-${start + max}` : undefined;
    sendJson(
      call.res,
      200,
      {
        Accounts: page.map((a) => ({
          Id: a.id,
          Arn: `arn:aws:organizations::${this.emu.options.accountId}:account/${org}/${a.id}`,
          Email: a.email,
          Name: a.name,
          Status: a.status,
          JoinedMethod: 'INVITED',
          JoinedTimestamp: a.joinedAt.getTime() / 1000,
        })),
        ...(next ? { NextToken: next } : {}),
      },
      'application/x-amz-json-1.1',
    );
  }
}

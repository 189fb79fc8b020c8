import {
  ListAccountsCommand,
  OrganizationsClient,
  paginateListAccounts,
} from '@aws-sdk/client-organizations';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpHandler } from '../../../readers/block/ebs/client.js';
import { EMULATOR_CREDENTIALS, type Emulator, startEmulator } from '../index.js';

describe('test/emulator/services/organizations', () => {
  let emu: Emulator;
  let org: OrganizationsClient;

  beforeAll(async () => {
    emu = await startEmulator();
    org = new OrganizationsClient({
      endpoint: emu.endpoint,
      region: 'us-east-1',
      credentials: EMULATOR_CREDENTIALS,
      maxAttempts: 1,
      requestHandler: httpHandler({ maxSockets: 4 }),
    });
  });
  afterAll(async () => {
    org?.destroy();
    await emu?.close();
  });

  it('outside an organization ListAccounts is AWSOrganizationsNotInUseException', async () => {
    await expect(org.send(new ListAccountsCommand({}))).rejects.toMatchObject({
      name: 'AWSOrganizationsNotInUseException',
    });
  });

  it('pages through every account (20 per page at most) with its status', async () => {
    for (let i = 0; i < 45; i++)
      emu.services.organizations.addAccount(String(100000000000 + i), {
        status: i % 10 === 3 ? 'SUSPENDED' : 'ACTIVE',
      });
    const pages: number[] = [];
    const all: { Id?: string; Status?: string }[] = [];
    for await (const page of paginateListAccounts({ client: org }, {})) {
      pages.push(page.Accounts?.length ?? 0);
      all.push(...(page.Accounts ?? []));
    }
    expect(pages).toEqual([20, 20, 5]);
    expect(all.map((a) => a.Id)).toEqual(Array.from({ length: 45 }, (_, i) => String(100000000000 + i)));
    expect(all.filter((a) => a.Status === 'SUSPENDED').map((a) => a.Id)).toEqual([
      '100000000003',
      '100000000013',
      '100000000023',
      '100000000033',
      '100000000043',
    ]);
    await expect(org.send(new ListAccountsCommand({ MaxResults: 21 }))).rejects.toMatchObject({
      name: 'InvalidInputException',
    });
    await expect(org.send(new ListAccountsCommand({ NextToken: 'forged' }))).rejects.toMatchObject({
      name: 'InvalidInputException',
    });
  });
});

import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from '@aws-sdk/client-sts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stsFor } from '../clients.js';
import { type Emulator, startEmulator } from '../index.js';

describe('test/emulator/services/sts', () => {
  let emu: Emulator;
  let sts: STSClient;
  let roleArn: string;

  beforeAll(async () => {
    emu = await startEmulator();
    sts = stsFor(emu.endpoint);
    roleArn = emu.services.sts.addRole('222222222222', 'snapscan-member', { externalId: 'ext-123' });
  });
  afterAll(async () => {
    sts?.destroy();
    await emu?.close();
  });

  it('AssumeRole with the external id returns credentials; GetCallerIdentity with them names the member account', async () => {
    const r = await sts.send(
      new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'snapscan', ExternalId: 'ext-123' }),
    );
    expect(r.Credentials?.AccessKeyId).toMatch(/^ASIA[0-9A-F]{16}$/);
    expect(r.Credentials!.Expiration!.getTime()).toBeGreaterThan(Date.now() + 3000_000);
    expect(r.AssumedRoleUser?.Arn).toBe('arn:aws:sts::222222222222:assumed-role/snapscan-member/snapscan');
    const member = new STSClient({
      endpoint: emu.endpoint,
      region: 'us-east-1',
      credentials: {
        accessKeyId: r.Credentials!.AccessKeyId!,
        secretAccessKey: r.Credentials!.SecretAccessKey!,
        sessionToken: r.Credentials!.SessionToken!,
      },
    });
    try {
      const who = await member.send(new GetCallerIdentityCommand({}));
      expect(who.Account).toBe('222222222222');
      expect(who.Arn).toBe('arn:aws:sts::222222222222:assumed-role/snapscan-member/snapscan');
    } finally {
      member.destroy();
    }
    expect((await sts.send(new GetCallerIdentityCommand({}))).Account).toBe(emu.options.accountId);
  });

  it.each([
    ['a wrong external id', { ExternalId: 'nope' }],
    ['no external id', {}],
    ['a role that does not exist', { RoleArn: 'arn:aws:iam::333333333333:role/snapscan-member' }],
  ])('AssumeRole with %s is AccessDenied (403)', async (_n, extra) => {
    await expect(
      sts.send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: 'snapscan', ...extra })),
    ).rejects.toMatchObject({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } });
    expect(emu.services.sts.assumeCalls.at(-1)).toMatchObject({ ok: false, code: 'AccessDenied' });
  });
});

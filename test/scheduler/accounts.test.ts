/**
 * scheduler/accounts: member accounts through the real SDK clients (STS, Organizations, EC2, EBS
 * direct, SSM) over HTTP against the wire-level emulator, whose EC2/EBS/SSM state is partitioned by
 * the caller's account (the SigV4 access key → the AssumeRole session's account). A snapshot taken
 * in an account can only be created, read and deleted there with that account's credentials, so a
 * complete scan proves the member session was used end to end.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeInstancesCommand } from '@aws-sdk/client-ec2';
import { CreateQueueCommand, GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createEc2Client, createOrganizationsClient, createStsClient } from '../../engine/aws/clients.js';
import { run as runJanitorCli } from '../../engine/cli/commands/janitor.js';
import {
  run as runSchedulerCli,
  options as schedulerSpec,
  usage,
} from '../../engine/cli/commands/scheduler.js';
import type { Finding } from '../../engine/findings/index.js';
import { TAG_EXPIRES_AT, TAG_MANAGED, TAG_RUN } from '../../engine/snapshots/tags.js';
import {
  checkRoleName,
  listOrganizationAccounts,
  MemberSessions,
  parseAccountList,
} from '../../scheduler/accounts.js';
import type { CoverageRecord } from '../../scheduler/coverage.js';
import type { PassReport } from '../../scheduler/pass.js';
import { runScheduler } from '../../scheduler/run.js';
import { sqsFor, stsFor } from '../emulator/clients.js';
import { EMULATOR_CREDENTIALS, type Emulator, startEmulator } from '../emulator/index.js';
import { EMULATOR_ENV } from '../emulator/run-cli.js';
import { HAVE_SHARED, NO_SHARED_REASON, REPO_ROOT } from '../helpers/paths.js';
import {
  demoImages,
  HOUR,
  onePass,
  schedulerOptions,
  sharedVulnDb,
  TestClock,
  useEmulatorEnv,
} from './helpers.js';

const CENTRAL = '123456789012';
const A = '111111111111'; // member, role with the external id
const B = '222222222222'; // member, role requires another external id
const C = '333333333333'; // member without the role
const D = '444444444444'; // member, role with the external id
const E = '555555555555'; // suspended in the organization (role and instance exist)
const ROLE = 'snapscan-member';
const EXT = 'ext-4f1c';

/** Sets environment variables; the returned function puts the previous values back. */
function withEnv(vars: Record<string, string>): () => void {
  const before = Object.fromEntries(Object.keys(vars).map((k) => [k, process.env[k]]));
  Object.assign(process.env, vars);
  return () => {
    for (const [k, v] of Object.entries(before)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  };
}

describe('scheduler/accounts', () => {
  it.each([
    { text: '111111111111', ids: ['111111111111'] },
    { text: ' 111111111111, 222222222222 ,111111111111', ids: ['111111111111', '222222222222'] },
    { text: '11111111111', error: /not a 12-digit/ },
    { text: '111111111111,abc', error: /"abc" is not a 12-digit/ },
    { text: ' , ', error: /no account id/ },
  ])('parseAccountList("$text")', ({ text, ids, error }) => {
    if (error) expect(() => parseAccountList(text)).toThrow(error);
    else expect(parseAccountList(text)).toEqual(ids);
  });

  it.each([
    { name: 'snapscan-member', ok: true },
    { name: 'security/snapscan-member', ok: true },
    { name: 'bad name', ok: false },
    { name: 'x'.repeat(65), ok: false },
  ])('checkRoleName("$name") ok=$ok', ({ name, ok }) => {
    if (ok) expect(checkRoleName(name)).toBe(name);
    else expect(() => checkRoleName(name)).toThrow(/--role-name/);
  });

  it('--help is generated from the option spec with each variable; bad combinations are usage errors', async () => {
    for (const [flag, env] of [
      ['--accounts', 'SNAPSCAN_ACCOUNTS'],
      ['--organization', 'SNAPSCAN_ORGANIZATION'],
      ['--role-name', 'SNAPSCAN_ROLE_NAME'],
      ['--external-id', 'SNAPSCAN_EXTERNAL_ID'],
    ] as const) {
      expect(usage).toContain(flag);
      expect(usage).toContain(env);
      expect(Object.values(schedulerSpec).some((o) => o.env === env)).toBe(true);
    }
    const restore = withEnv({ SNAPSCAN_REGIONS: 'us-east-1' });
    try {
      for (const [argv, msg] of [
        [['--accounts', A, '--organization'], /not both/],
        [['--accounts', '123'], /12-digit/],
        [['--external-id', 'x'], /needs --accounts or --organization/],
        [['--accounts', A, '--role-name', 'no spaces'], /--role-name/],
      ] as const)
        await expect(runSchedulerCli([...argv])).rejects.toMatchObject({
          code: 'invalid-argument',
          message: expect.stringMatching(msg),
        });
    } finally {
      restore();
    }
  });

  describe('emulator: sessions and Organizations', () => {
    let emu: Emulator;
    beforeAll(async () => {
      emu = await startEmulator();
      emu.services.sts.addRole(A, ROLE, { externalId: EXT });
      emu.services.sts.addRole(B, ROLE, { externalId: 'another' });
    });
    afterAll(async () => {
      await emu?.close();
    });

    it('one AssumeRole per account (concurrent callers share it), with the external id; renewed once less than renewBeforeMs is left', async () => {
      const sts = stsFor(emu.endpoint);
      let t = Date.now();
      const sessions = new MemberSessions(sts, {
        roleName: ROLE,
        externalId: EXT,
        renewBeforeMs: 15 * 60_000,
        now: () => new Date(t),
      });
      try {
        const before = emu.services.sts.assumeCalls.length;
        const [c1, c2] = await Promise.all([sessions.credentials(A), sessions.credentials(A)]);
        expect(c1).toBe(c2);
        expect(await sessions.credentials(A)).toBe(c1);
        expect(emu.services.sts.assumeCalls.slice(before)).toEqual([
          { roleArn: `arn:aws:iam::${A}:role/${ROLE}`, ok: true, externalId: EXT },
        ]);
        expect(emu.services.sts.sessions.get(c1.accessKeyId)?.account).toBe(A);
        // 44 minutes later (16 left of the hour): still the cached session.
        t += 44 * 60_000;
        expect(await sessions.credentials(A)).toBe(c1);
        // 46 minutes in (14 left): renewed before it expires.
        t += 2 * 60_000;
        const c3 = await sessions.credentials(A);
        expect(c3.accessKeyId).not.toBe(c1.accessKeyId);
        expect(sessions.assumeRoleCalls).toBe(2);
      } finally {
        sts.destroy();
      }
    });

    it('a renewal STS refuses keeps the still-valid session; once it expired the error comes through', async () => {
      const sts = createStsClient({
        endpoint: emu.endpoint,
        region: 'us-east-1',
        credentials: EMULATOR_CREDENTIALS,
        maxAttempts: 1,
      });
      let t = Date.now();
      const sessions = new MemberSessions(sts, { roleName: ROLE, externalId: EXT, now: () => new Date(t) });
      try {
        const c1 = await sessions.credentials(A);
        emu.configure({ faults: { serverErrorRate: 1, actions: ['AssumeRole'] } });
        t += 50 * 60_000; // 10 minutes left: renewal due, STS failing
        expect(await sessions.credentials(A)).toBe(c1);
        t += 11 * 60_000; // expired
        await expect(sessions.credentials(A)).rejects.toMatchObject({
          code: 'aws-error',
          message: expect.stringMatching(/InternalFailure/),
        });
        expect(sessions.assumeRoleCalls).toBe(3);
      } finally {
        emu.configure({ faults: {} });
        sts.destroy();
      }
    });

    it('a client signing through the provider keeps working across real session expiry (renewed first)', async () => {
      const sts = stsFor(emu.endpoint);
      emu.services.sts.sessionLifetimeMs = 1500;
      const sessions = new MemberSessions(sts, { roleName: ROLE, externalId: EXT, renewBeforeMs: 1000 });
      const ec2 = createEc2Client({
        endpoint: emu.endpoint,
        region: 'us-east-1',
        credentials: sessions.provider(A),
        maxAttempts: 1,
      });
      try {
        const keys = new Set<string>();
        for (let i = 0; i < 4; i++) {
          const c = await sessions.credentials(A);
          keys.add(c.accessKeyId);
          const out = await ec2.send(new DescribeInstancesCommand({}));
          expect(out.Reservations).toEqual([]);
          await new Promise((r) => setTimeout(r, 600));
        }
        // 4 calls 600 ms apart with 1.5 s sessions renewed 1 s before expiry: never an expired key.
        expect(keys.size).toBeGreaterThanOrEqual(2);
        const expired = [...keys].filter(
          (k) => emu.services.sts.sessions.get(k)!.expiration.getTime() < Date.now(),
        );
        expect(expired.length).toBeGreaterThanOrEqual(1);
        const stale = createEc2Client({
          endpoint: emu.endpoint,
          region: 'us-east-1',
          credentials: { accessKeyId: expired[0]!, secretAccessKey: 'x', sessionToken: 'y' },
          maxAttempts: 1,
        });
        await expect(stale.send(new DescribeInstancesCommand({}))).rejects.toMatchObject({
          name: 'ExpiredToken',
        });
        stale.destroy();
      } finally {
        emu.services.sts.sessionLifetimeMs = undefined;
        ec2.destroy();
        sts.destroy();
      }
    });

    it.each([
      { who: 'a wrong external id', account: B },
      { who: 'no role', account: C },
    ])(
      'AssumeRole with $who: a ScanError carrying STS’s AccessDenied message, not cached',
      async ({ account }) => {
        const sts = stsFor(emu.endpoint);
        const sessions = new MemberSessions(sts, { roleName: ROLE, externalId: EXT });
        try {
          for (let i = 0; i < 2; i++)
            await expect(sessions.credentials(account)).rejects.toMatchObject({
              code: 'aws-error',
              message: expect.stringMatching(
                new RegExp(
                  `sts:AssumeRole arn:aws:iam::${account}:role/${ROLE}: AccessDenied: .*not authorized`,
                ),
              ),
            });
          expect(sessions.assumeRoleCalls).toBe(2);
        } finally {
          sts.destroy();
        }
      },
    );

    it('ListAccounts (endpoint from AWS_ENDPOINT_URL_ORGANIZATIONS): every page read, SUSPENDED and PENDING_CLOSURE skipped', async () => {
      const org = emu.services.organizations;
      const ids = Array.from({ length: 45 }, (_, i) => String(100000000000 + i));
      for (const [i, id] of ids.entries())
        org.addAccount(id, { status: i % 10 === 3 ? 'SUSPENDED' : i === 44 ? 'PENDING_CLOSURE' : 'ACTIVE' });
      // Through the SDK's own per-service variable (no endpoint option): AWS_ENDPOINT_URL_ORGANIZATIONS.
      const restore = withEnv({ AWS_ENDPOINT_URL_ORGANIZATIONS: emu.endpoint });
      const client = createOrganizationsClient({
        region: 'eu-west-1',
        credentials: { accessKeyId: 'AKIAEMULATOR', secretAccessKey: 'x' },
      });
      emu.resetCounts();
      try {
        const r = await listOrganizationAccounts(client);
        expect(emu.counts.ListAccounts).toBe(3); // 20 + 20 + 5
        expect(r.skipped).toEqual([
          ...[3, 13, 23, 33, 43].map((i) => ({ id: ids[i], status: 'SUSPENDED' })),
          { id: ids[44], status: 'PENDING_CLOSURE' },
        ]);
        expect(r.active.map((a) => a.id)).toEqual(ids.filter((_, i) => i % 10 !== 3 && i !== 44));
        // Not in an organization (or not allowed to list it): a one-line error naming the call.
        org.accounts.length = 0;
        await expect(listOrganizationAccounts(client)).rejects.toMatchObject({
          code: 'aws-error',
          message: expect.stringMatching(/^organizations:ListAccounts: AWSOrganizationsNotInUseException: /),
        });
      } finally {
        restore();
        client.destroy();
        org.accounts.length = 0;
      }
    });
  });

  if (!HAVE_SHARED) console.warn(`scheduler/accounts: ${NO_SHARED_REASON}`);

  describe.skipIf(!HAVE_SHARED)('member accounts over SQS (planner + one snapscan worker process)', () => {
    it('the worker assumes the member role for the member’s job: snapshot created, read and deleted in the member account', async () => {
      const img = await demoImages();
      const db = await sharedVulnDb();
      const emu = await startEmulator({ seed: 12, accountId: CENTRAL });
      const sqs = sqsFor(emu.endpoint);
      try {
        useEmulatorEnv(emu);
        emu.services.s3.createBucket('exports');
        const ids: Record<string, string> = {};
        for (const [account, image] of [
          [CENTRAL, img.debian],
          [A, img.alma],
        ] as const) {
          const v = await emu.addVolume({ imagePath: image, accountId: account });
          ids[account] = emu.addInstance({ volumes: [{ volumeId: v, device: '/dev/xvda' }] });
        }
        emu.services.sts.addRole(A, ROLE, { externalId: EXT });
        const dlq = (await sqs.send(new CreateQueueCommand({ QueueName: 'jobs-dlq' }))).QueueUrl!;
        const dlqArn = (
          await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlq, AttributeNames: ['QueueArn'] }))
        ).Attributes!.QueueArn!;
        const queueUrl = (
          await sqs.send(
            new CreateQueueCommand({
              QueueName: 'jobs',
              Attributes: {
                VisibilityTimeout: '30',
                RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 3 }),
              },
            }),
          )
        ).QueueUrl!;
        const planner = runScheduler(
          schedulerOptions({
            db,
            out: mkdtempSync(join(tmpdir(), 'snapscan-accounts-sqs-')),
            clock: new TestClock(),
            now: () => new Date(),
            mode: 'agentless',
            output: 's3://exports/run',
            state: 's3://exports/run/state',
            queueUrl,
            resultPollMs: 100,
            passTimeoutMs: 240_000,
            members: { accounts: [CENTRAL, A], roleName: ROLE, externalId: EXT },
          }),
        );
        for (let i = 0; i < 1200 && (emu.services.sqs.queue(queueUrl)?.messages.length ?? 0) === 0; i++)
          await new Promise((r) => setTimeout(r, 50));
        const child = spawn(process.execPath, [join(REPO_ROOT, 'bin/snapscan.js'), 'worker'], {
          env: {
            ...process.env,
            ...EMULATOR_ENV,
            AWS_ENDPOINT_URL: emu.endpoint,
            SNAPSCAN_QUEUE_URL: queueUrl,
            SNAPSCAN_OUTPUT: 's3://exports/run',
            SNAPSCAN_DB: db,
            SNAPSCAN_MODE: 'agentless',
            SNAPSCAN_ROLE_NAME: ROLE,
            SNAPSCAN_EXTERNAL_ID: EXT,
            SNAPSCAN_EXIT_WHEN_IDLE: '4s',
            SNAPSCAN_SNAPSHOT_POLL: '10ms',
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        });
        let stderr = '';
        child.stderr!.on('data', (d) => {
          stderr += d;
        });
        const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
        const { passes } = await planner;
        expect(await exited, stderr).toBe(0);
        const r = passes[0]!;
        expect(r.ok, r.error).toBe(true);
        const cov = new Map(r.coverage.map((c) => [c.resourceId, c]));
        for (const account of [CENTRAL, A]) {
          expect(cov.get(ids[account]!)).toMatchObject({
            accountId: account,
            scanStatus: { reason: 'SUCCESSFUL' },
            pass: 'scanned',
          });
          // The worker's calls for each job were signed by that job's account.
          expect(emu.countsByAccount[account]).toMatchObject({ CreateSnapshots: 1, DeleteSnapshot: 1 });
          expect(emu.countsByAccount[account]!.GetSnapshotBlock).toBeGreaterThan(0);
          const snaps = [...emu.snapshotsById.values()].filter((x) => x.accountId === account);
          expect(snaps.map((x) => x.deleted)).toEqual([true]);
        }
        // Planner and worker each assumed the member role once (their own sessions).
        expect(emu.services.sts.assumeCalls.filter((c) => c.ok)).toHaveLength(2);
        expect(emu.snapshots()).toEqual([]);
      } finally {
        sqs.destroy();
        await emu.close();
      }
    }, 600_000);
  });

  describe.skipIf(!HAVE_SHARED)('passes over member accounts (demo disks, shared vulndata)', () => {
    let emu: Emulator;
    let db: string;
    let out: string;
    const clock = new TestClock(Date.parse('2026-03-02T08:00:00Z'));
    const inst: Record<string, string> = {};
    const vol: Record<string, string> = {};
    let leftover: Record<string, string> = {};
    let first: PassReport;

    beforeAll(async () => {
      const img = await demoImages();
      db = await sharedVulnDb();
      emu = await startEmulator({ seed: 11, accountId: CENTRAL });
      useEmulatorEnv(emu);
      out = mkdtempSync(join(tmpdir(), 'snapscan-accounts-'));
      for (const [account, image] of [
        [CENTRAL, img.debian],
        [A, img.alma],
        [B, img.debian],
        [C, img.debian],
        [D, img.debian],
        [E, img.debian],
      ] as const) {
        vol[account] = await emu.addVolume({ imagePath: image, accountId: account });
        inst[account] = emu.addInstance({
          volumes: [{ volumeId: vol[account]!, device: '/dev/xvda' }],
          tags: { Name: `in-${account}` },
        });
      }
      emu.services.sts.addRole(A, ROLE, { externalId: EXT });
      emu.services.sts.addRole(B, ROLE, { externalId: 'not-ours' });
      emu.services.sts.addRole(D, ROLE, { externalId: EXT });
      emu.services.sts.addRole(E, ROLE, { externalId: EXT });
      // A crash's leftovers: an expired snapscan snapshot in A (the janitor deletes it with A's session)
      // and one in C (unreachable: it stays).
      const expired = {
        [TAG_MANAGED]: 'true',
        [TAG_RUN]: 'dead-run',
        [TAG_EXPIRES_AT]: new Date(clock.now().getTime() - HOUR).toISOString(),
      };
      leftover = {
        [A]: emu.addSnapshot(vol[A]!, { tags: expired }),
        [C]: emu.addSnapshot(vol[C]!, { tags: expired }),
      };
      first = await onePass(
        schedulerOptions({
          db,
          out,
          clock,
          mode: 'agentless',
          members: { accounts: [CENTRAL, A, B, C, D], roleName: ROLE, externalId: EXT },
        }),
      );
    }, 600_000);
    afterAll(async () => {
      await emu?.close();
    });

    const coverage = (r: PassReport) =>
      new Map(r.coverage.map((c) => [`${c.resourceType}/${c.resourceId}`, c]));

    it('the central account with its own credentials, A and D through their roles; B and C recorded ACCESS_DENIED with STS’s message; the pass completes', () => {
      expect(first.ok).toBe(true);
      expect(first.accounts?.scanned).toEqual([CENTRAL, A, D]);
      expect(first.accounts?.denied.map((d) => d.accountId)).toEqual([B, C]);
      const cov = coverage(first);
      for (const account of [CENTRAL, A, D]) {
        const c = cov.get(`AWS_EC2_INSTANCE/${inst[account]}`)!;
        expect(c).toMatchObject({
          accountId: account,
          scanMode: 'EC2_AGENTLESS',
          scanStatus: { statusCode: 'ACTIVE', reason: 'SUCCESSFUL' },
          pass: 'scanned',
        });
        expect(c.packages).toBeGreaterThan(40);
      }
      for (const account of [B, C]) {
        expect(cov.has(`AWS_EC2_INSTANCE/${inst[account]}`)).toBe(false);
        expect(cov.get(`AWS_ACCOUNT/${account}`)).toMatchObject({
          accountId: account,
          region: 'us-east-1',
          scanStatus: { statusCode: 'ACTIVE', reason: 'ACCESS_DENIED' },
          pass: 'failed',
          message: expect.stringMatching(
            new RegExp(
              `^sts:AssumeRole arn:aws:iam::${account}:role/${ROLE}: AccessDenied: User: .* is not authorized`,
            ),
          ),
        });
      }
      // One session per reachable member for the whole pass (janitor, discovery, snapshots, EBS reads).
      const ok = emu.services.sts.assumeCalls.filter((c) => c.ok);
      expect(ok.map((c) => c.roleArn).sort()).toEqual([A, D].map((a) => `arn:aws:iam::${a}:role/${ROLE}`));
      expect(emu.services.sts.assumeCalls.every((c) => c.externalId === EXT)).toBe(true);
    });

    it('snapshots are created, read and deleted in their own account; none left; the janitor ran per account', () => {
      for (const account of [CENTRAL, A, D]) {
        const taken = [...emu.snapshotsById.values()].filter(
          (s) => s.volumeId === vol[account] && s.tags[TAG_RUN] === first.passId,
        );
        expect(taken).toHaveLength(1);
        expect(taken[0]).toMatchObject({ accountId: account, ownerId: account, deleted: true });
      }
      expect(first.snapshots).toMatchObject({ created: 3, deleteFailed: 0 });
      // Each account's calls were signed with its own credentials: none of B's or C's, and every
      // account that was scanned created, read and deleted its snapshot itself.
      const by = emu.countsByAccount;
      expect(by[B]).toBeUndefined();
      expect(by[C]).toBeUndefined();
      for (const account of [CENTRAL, A, D]) {
        expect(by[account]).toMatchObject({ CreateSnapshots: 1 });
        expect(by[account]!.DescribeInstances).toBeGreaterThanOrEqual(1);
        expect(by[account]!.GetSnapshotBlock).toBeGreaterThan(0);
        expect(by[account]!.DeleteSnapshot).toBeGreaterThanOrEqual(1);
      }
      expect(by[A]!.DeleteSnapshot).toBe(2); // its snapshot, and the janitor's leftover
      expect(emu.snapshotsById.get(leftover[A]!)?.deleted).toBe(true);
      expect(emu.snapshotsById.get(leftover[C]!)?.deleted).toBe(false);
      expect(emu.snapshots().map((s) => s.snapshotId)).toEqual([leftover[C]]);
      expect(first.janitor.deleted).toBe(1);
    });

    it('findings and coverage are exported under each member’s account and carry its awsAccountId', () => {
      const manifest = JSON.parse(readFileSync(join(out, first.manifestKey!), 'utf8')) as {
        objects: { key: string; kind: string; resourceId?: string }[];
      };
      for (const account of [CENTRAL, A, D]) {
        const o = manifest.objects.find(
          (x) => x.kind === 'findings-ndjson' && x.resourceId === inst[account],
        );
        expect(o?.key).toContain(`/${account}/`);
        const findings = readFileSync(join(out, o!.key), 'utf8')
          .split('\n')
          .filter(Boolean)
          .map((l) => JSON.parse(l) as Finding);
        expect(findings.length).toBeGreaterThan(0);
        for (const f of findings) {
          expect(f.awsAccountId).toBe(account);
          expect(f.findingArn).toContain(`:${account}:`);
        }
      }
      const denied = manifest.objects.filter((x) => x.kind === 'coverage-ndjson' && x.key.includes(`/${B}/`));
      expect(denied).toHaveLength(1);
      const recs = readFileSync(join(out, denied[0]!.key), 'utf8')
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as CoverageRecord);
      expect(recs).toEqual([expect.objectContaining({ resourceType: 'AWS_ACCOUNT', resourceId: B })]);
    });

    it('--organization (CLI): ACTIVE accounts only — the suspended one is never assumed; nothing due, so no snapshot', async () => {
      const org = emu.services.organizations;
      for (const [id, status] of [
        [CENTRAL, 'ACTIVE'],
        [A, 'ACTIVE'],
        [D, 'ACTIVE'],
        [E, 'SUSPENDED'],
      ] as const)
        org.addAccount(id, { status });
      const before = emu.services.sts.assumeCalls.length;
      const snapsBefore = emu.snapshotsById.size;
      const restore = withEnv({
        SNAPSCAN_ORGANIZATION: 'true',
        SNAPSCAN_EXTERNAL_ID: EXT,
        SNAPSCAN_REGIONS: 'us-east-1',
        SNAPSCAN_OUTPUT: out,
        SNAPSCAN_DB: db,
        SNAPSCAN_MODE: 'agentless',
        SNAPSCAN_NOW: new Date(clock.now().getTime() + HOUR).toISOString(),
      });
      let code: number;
      try {
        code = await runSchedulerCli(['--once', '--jitter', '0ms']);
      } finally {
        restore();
      }
      expect(code).toBe(0);
      const assumed = emu.services.sts.assumeCalls.slice(before).map((c) => c.roleArn);
      expect(assumed.sort()).toEqual([A, D].map((a) => `arn:aws:iam::${a}:role/${ROLE}`));
      expect(emu.snapshotsById.size).toBe(snapsBefore);
      const index = JSON.parse(readFileSync(join(out, 'state', 'index.json'), 'utf8')) as {
        instances: Record<string, { accountId: string; reason: string }>;
      };
      expect(index.instances[inst[E]!]).toBeUndefined();
      for (const account of [CENTRAL, A, D])
        expect(index.instances[inst[account]!]).toMatchObject({ accountId: account, reason: 'SUCCESSFUL' });
    }, 300_000);

    it('once C’s role exists: C is scanned in C, and the leftover of a crash there goes by its expiry; the other accounts are kept', async () => {
      emu.services.sts.addRole(C, ROLE, { externalId: EXT });
      clock.advance(2 * HOUR);
      const r = await onePass(
        schedulerOptions({
          db,
          out,
          clock,
          mode: 'agentless',
          members: { accounts: [C], roleName: ROLE, externalId: EXT },
        }),
      );
      expect(r.accounts).toEqual({ scanned: [C], denied: [], skipped: [] });
      const cov = coverage(r);
      expect(cov.get(`AWS_EC2_INSTANCE/${inst[C]}`)).toMatchObject({
        accountId: C,
        scanStatus: { reason: 'SUCCESSFUL' },
        pass: 'scanned',
      });
      for (const account of [CENTRAL, A, D])
        expect(cov.get(`AWS_EC2_INSTANCE/${inst[account]}`)).toMatchObject({
          accountId: account,
          pass: 'kept',
        });
      expect(cov.has(`AWS_ACCOUNT/${C}`)).toBe(false);
      expect(emu.snapshotsById.get(leftover[C]!)?.deleted).toBe(true);
      expect(emu.snapshots()).toEqual([]);
    }, 300_000);

    it('an account scanned before whose role now refuses: its instances keep their last findings, marked not entered this pass', async () => {
      emu.services.sts.addRole(A, ROLE, { externalId: 'rotated' });
      clock.advance(HOUR);
      const r = await onePass(
        schedulerOptions({
          db,
          out,
          clock,
          mode: 'agentless',
          members: { accounts: [A], roleName: ROLE, externalId: EXT },
        }),
      );
      expect(r.accounts?.denied.map((d) => d.accountId)).toEqual([A]);
      const cov = coverage(r);
      const rec = cov.get(`AWS_EC2_INSTANCE/${inst[A]}`)!;
      expect(rec).toMatchObject({ accountId: A, pass: 'skipped', scanStatus: { reason: 'SUCCESSFUL' } });
      expect(rec.message).toMatch(
        new RegExp(`^account ${A} not entered this pass: sts:AssumeRole .*AccessDenied`),
      );
      expect(rec.findings?.active).toBeGreaterThan(0);
      expect(cov.get(`AWS_ACCOUNT/${A}`)?.scanStatus.reason).toBe('ACCESS_DENIED');
      expect(r.snapshots.created).toBe(0);
    }, 300_000);

    it('snapscan janitor --accounts: each member cleaned with its own session; a refusing one reported, exit 1', async () => {
      const expired = {
        [TAG_MANAGED]: 'true',
        [TAG_RUN]: 'dead-run-2',
        [TAG_EXPIRES_AT]: new Date(Date.now() - HOUR).toISOString(),
      };
      const inD = emu.addSnapshot(vol[D]!, { tags: expired });
      const inB = emu.addSnapshot(vol[B]!, { tags: expired });
      const untagged = emu.addSnapshot(vol[D]!);
      const out: string[] = [];
      const write = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
        out.push(String(chunk));
        return true;
      });
      const err = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
      let code: number;
      try {
        code = await runJanitorCli(['--accounts', `${D},${B}`, '--external-id', EXT, '--json']);
      } finally {
        write.mockRestore();
        err.mockRestore();
      }
      expect(code).toBe(1);
      const reports = JSON.parse(out.join('')) as { account: string; deleted?: string[]; error?: string }[];
      expect(reports[0]).toMatchObject({ account: D, deleted: [inD] });
      expect(reports[1]).toMatchObject({ account: B, error: expect.stringMatching(/AccessDenied/) });
      expect(emu.snapshotsById.get(inD)).toMatchObject({ accountId: D, deleted: true });
      expect(emu.snapshotsById.get(inB)?.deleted).toBe(false);
      expect(emu.snapshotsById.get(untagged)?.deleted).toBe(false);
    });
  });
});

/**
 * `snapscan janitor [--dry-run] [--region R] [--endpoint URL] [--json]`: deletes this account's
 * snapshots tagged snapscan:managed=true whose snapscan:expires-at has passed, and nothing else.
 * `--accounts LIST --role-name NAME --external-id ID`: the same in each listed member account, with
 * the member role's session (scheduler/accounts.ts), as the scheduler's janitor does.
 */

import type { EC2Client } from '@aws-sdk/client-ec2';
import { checkRoleName, MemberSessions, parseAccountList } from '../../../scheduler/accounts.js';
import { type JanitorReport, runJanitor } from '../../../scheduler/janitor.js';
import { createEc2Client, createStsClient, stsSdk } from '../../aws/clients.js';
import { ScanError } from '../../errors.js';
import { type CommandSpec, formatHelp, parseCommand } from '../args.js';

export const options = {
  'dry-run': { type: 'boolean', description: 'list what would be deleted, delete nothing' },
  region: { type: 'string', arg: 'REGION', description: 'AWS region (default: the SDK configuration)' },
  endpoint: { type: 'string', arg: 'URL', description: 'EC2 endpoint (default: the SDK configuration)' },
  json: { type: 'boolean', description: 'print the report as JSON' },
  accounts: {
    type: 'string',
    arg: 'LIST',
    description: 'member accounts to clean, comma-separated (through --role-name; default: this account)',
  },
  'role-name': {
    type: 'string',
    arg: 'NAME',
    description: 'role assumed in each member account',
    dflt: 'snapscan-member',
  },
  'external-id': { type: 'string', arg: 'ID', description: 'external id sent with AssumeRole' },
  now: {
    type: 'string',
    arg: 'ISO',
    description: 'evaluate expiry at this time instead of now (tests, "what will go tomorrow")',
  },
} satisfies CommandSpec;

export const usage = formatHelp(
  'snapscan janitor [--dry-run] [--region REGION] [--endpoint URL] [--json] [--accounts LIST --external-id ID]',
  'Delete expired snapscan snapshots: those tagged snapscan:managed=true whose snapscan:expires-at\nhas passed, and nothing else.',
  options,
);

export async function run(argv: string[]): Promise<number> {
  const args = parseCommand(argv, options);
  if (args.values.help) {
    process.stdout.write(usage);
    return 0;
  }
  const now = args.values.now ? new Date(args.values.now) : new Date();
  if (Number.isNaN(now.getTime())) {
    throw new ScanError('invalid-argument', `--now "${args.values.now}" is not a time`);
  }
  const region = args.values.region ? { region: args.values.region } : {};
  const endpoint = args.values.endpoint ? { endpoint: args.values.endpoint } : {};
  const accounts = args.values.accounts !== undefined ? parseAccountList(args.values.accounts) : undefined;
  const roleName = checkRoleName(args.values['role-name'] ?? 'snapscan-member');
  const externalId = args.values['external-id'];
  if (!accounts && externalId !== undefined)
    throw new ScanError('invalid-argument', '--external-id needs --accounts');
  const dryRun = args.values['dry-run'] ?? false;
  const json = args.values.json ?? false;

  const clean = async (ec2: EC2Client): Promise<JanitorReport> => {
    try {
      return await runJanitor(ec2, {
        now,
        dryRun,
        onEvent: (e) => {
          if (json) return;
          if (e.kind === 'delete') {
            process.stdout.write(
              `${e.dryRun ? 'would delete' : 'deleted'} ${e.snapshotId} (run ${e.runId}, expired ${e.expiresAt})\n`,
            );
          } else if (e.kind === 'skip') process.stdout.write(`kept ${e.snapshotId}: ${e.reason}\n`);
          else process.stderr.write(`failed ${e.snapshotId}: ${e.error}\n`);
        },
      });
    } finally {
      ec2.destroy();
    }
  };
  const summary = (report: JanitorReport) =>
    `janitor: ${report.examined} tagged snapshot(s) examined, ${dryRun ? `${report.wouldDelete.length} would be deleted` : `${report.deleted.length} deleted`}, ${report.skipped.length} kept, ${report.failed.length} failed\n`;

  if (!accounts) {
    const report = await clean(createEc2Client({ ...region, ...endpoint }));
    process.stdout.write(json ? `${JSON.stringify(report, null, 2)}\n` : summary(report));
    return report.failed.length ? 1 : 0;
  }
  // Member accounts: each through its own session; this account itself (when listed) directly.
  const sts = createStsClient(region);
  const reports: Array<{ account: string; error?: string } & Partial<JanitorReport>> = [];
  try {
    const self = (await sts.send(new (stsSdk().GetCallerIdentityCommand)({}))).Account;
    const sessions = new MemberSessions(sts, {
      roleName,
      ...(externalId !== undefined ? { externalId } : {}),
    });
    for (const account of accounts) {
      if (!json) process.stdout.write(`account ${account}:\n`);
      try {
        const credentials = account === self ? {} : { credentials: sessions.provider(account) };
        const report = await clean(createEc2Client({ ...region, ...endpoint, ...credentials }));
        reports.push({ account, ...report });
        if (!json) process.stdout.write(summary(report));
      } catch (err) {
        reports.push({ account, error: (err as Error).message });
        process.stderr.write(`account ${account}: ${(err as Error).message}\n`);
      }
    }
  } finally {
    sts.destroy();
  }
  if (json) process.stdout.write(`${JSON.stringify(reports, null, 2)}\n`);
  return reports.some((r) => r.error || r.failed?.length) ? 1 : 0;
}

/**
 * `snapscan janitor [--dry-run] [--region R] [--endpoint URL] [--json]`: deletes this account's
 * snapshots tagged snapscan:managed=true whose snapscan:expires-at has passed, and nothing else.
 */
import { runJanitor } from '../../../scheduler/janitor.js';
import { createEc2Client } from '../../aws/clients.js';
import { ScanError } from '../../errors.js';
import { type CommandSpec, formatHelp, parseCommand } from '../args.js';

export const options = {
  'dry-run': { type: 'boolean', description: 'list what would be deleted, delete nothing' },
  region: { type: 'string', arg: 'REGION', description: 'AWS region (default: the SDK configuration)' },
  endpoint: { type: 'string', arg: 'URL', description: 'EC2 endpoint (default: the SDK configuration)' },
  json: { type: 'boolean', description: 'print the report as JSON' },
  now: {
    type: 'string',
    arg: 'ISO',
    description: 'evaluate expiry at this time instead of now (tests, "what will go tomorrow")',
  },
} satisfies CommandSpec;

export const usage = formatHelp(
  'snapscan janitor [--dry-run] [--region REGION] [--endpoint URL] [--json]',
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
  const ec2 = createEc2Client({
    ...(args.values.region ? { region: args.values.region } : {}),
    ...(args.values.endpoint ? { endpoint: args.values.endpoint } : {}),
  });
  const dryRun = args.values['dry-run'] ?? false;
  const json = args.values.json ?? false;
  try {
    const report = await runJanitor(ec2, {
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
    if (json) process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    else {
      process.stdout.write(
        `janitor: ${report.examined} tagged snapshot(s) examined, ${dryRun ? `${report.wouldDelete.length} would be deleted` : `${report.deleted.length} deleted`}, ${report.skipped.length} kept, ${report.failed.length} failed\n`,
      );
    }
    return report.failed.length ? 1 : 0;
  } finally {
    ec2.destroy();
  }
}

/**
 * `snapscan janitor [--dry-run] [--region R] [--endpoint URL] [--json]`: deletes this account's
 * snapshots tagged snapscan:managed=true whose snapscan:expires-at has passed, and nothing else.
 */
import { parseArgs } from 'node:util';
import { runJanitor } from '../../../scheduler/janitor.js';
import { createEc2Client } from '../../aws/clients.js';

export const usage =
  'snapscan janitor [--dry-run] [--region REGION] [--endpoint URL] [--json]   delete expired snapscan snapshots';

export async function run(argv: string[]): Promise<number> {
  let args: ReturnType<typeof parse>;
  try {
    args = parse(argv);
  } catch (err) {
    process.stderr.write(`snapscan janitor: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  if (args.values.help) {
    process.stdout.write(`${usage}\n`);
    return 0;
  }
  const now = args.values.now ? new Date(args.values.now) : new Date();
  if (Number.isNaN(now.getTime())) {
    process.stderr.write(`snapscan janitor: --now "${args.values.now}" is not a time\n`);
    return 2;
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

function parse(argv: string[]) {
  return parseArgs({
    args: argv,
    options: {
      'dry-run': { type: 'boolean' },
      region: { type: 'string' },
      endpoint: { type: 'string' },
      json: { type: 'boolean' },
      /** Evaluate expiry at this time instead of now (tests, "what will go tomorrow"). */
      now: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
}

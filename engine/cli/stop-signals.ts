/**
 * What the long-running commands (scheduler, worker) share on the command line: the stop signals
 * and the test clock.
 *
 * SIGTERM/SIGINT abort the signal handed to `work`; ECS sends SIGKILL 30 s after SIGTERM, so
 * whatever is not done at 25 s is left to the janitor and the process exits 0.
 */
import { ScanError } from '../errors.js';

export async function untilStopped<T>(
  command: string,
  stopping: string,
  work: (signal: AbortSignal) => Promise<T>,
): Promise<T> {
  const controller = new AbortController();
  let hardStop: NodeJS.Timeout | undefined;
  const onSignal = (sig: NodeJS.Signals) => {
    if (controller.signal.aborted) return;
    process.stderr.write(`snapscan ${command}: ${sig}: stopping (${stopping})\n`);
    controller.abort();
    hardStop = setTimeout(() => {
      process.stderr.write(`snapscan ${command}: not stopped after 25 s; exiting\n`);
      process.exit(0);
    }, 25_000);
    hardStop.unref();
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
  try {
    return await work(controller.signal);
  } finally {
    process.removeListener('SIGTERM', onSignal);
    process.removeListener('SIGINT', onSignal);
    if (hardStop) clearTimeout(hardStop);
  }
}

/** `--now ISO` (tests): a clock that starts at that time and runs at real speed. */
export function clockFrom(raw: string | undefined): (() => Date) | undefined {
  if (!raw) return undefined;
  const base = Date.parse(raw);
  if (Number.isNaN(base)) throw new ScanError('invalid-argument', `--now "${raw}" is not a time`);
  const t0 = Date.now();
  return () => new Date(base + (Date.now() - t0));
}

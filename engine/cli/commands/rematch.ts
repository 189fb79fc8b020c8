/** `snapscan rematch`: re-match stored inventories against the current vulnerability data (see scheduler.ts). */
import { rematchOptions, rematchUsage, run as runScheduler } from './scheduler.js';

export const usage = rematchUsage;
export const options = rematchOptions;

export function run(argv: string[]): Promise<number> {
  return runScheduler(argv, 'rematch');
}

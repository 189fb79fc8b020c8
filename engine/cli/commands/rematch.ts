/** `snapscan rematch`: re-match stored inventories against the current vulnerability data (see scheduler.ts). */
import { run as runScheduler, usage as schedulerUsage } from './scheduler.js';

export const usage = schedulerUsage;

export function run(argv: string[]): Promise<number> {
  return runScheduler(argv, 'rematch');
}

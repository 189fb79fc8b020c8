/**
 * Matching: inventory × advisories → matches (engine/model/match.ts). `matcher.ts` is pure and runs
 * in process or in workers/match.worker.ts; `namespace.ts` decides which advisories apply to a
 * package; `chunk.ts` splits an inventory for the worker pool.
 */
export { chunkPackages } from './chunk.js';
export type { MatchResult, SkippedPackage } from './matcher.js';
export { evaluateAffected, evaluateRange, installedVersion, match, matchDetailed } from './matcher.js';
export {
  AMAZON_LINUX_ECOSYSTEM_PREFIX,
  languageEcosystem,
  lookupKeys,
  namesAreSource,
  osEcosystems,
} from './namespace.js';

export const id = 'match';
export const displayName = 'OSV-semantics matcher';
export const specUrls = ['https://ossf.github.io/osv-schema/#evaluation'];
export const version = 1;

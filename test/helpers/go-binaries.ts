/**
 * Builds (once, cached under .cache/lang/golang) the Go binaries of
 * test/fixtures/lang/golang/build.sh with the local `go` (Debian's golang-go, see .ci/run);
 * returns their folder, or the reason the caller skips.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT, TEST_CACHE } from './paths.js';

let cached: string | { reason: string } | undefined;

export function goBinaries(): string | { reason: string } {
  cached ??= build();
  return cached;
}

function build(): string | { reason: string } {
  const dir = join(TEST_CACHE, 'lang/golang');
  if (existsSync(join(dir, 'complete'))) return dir;
  for (const tool of ['go', 'python3']) {
    if (spawnSync('sh', ['-c', `command -v ${tool}`]).status !== 0) {
      return {
        reason: `${tool} is not installed (apt-get install golang-go; see .ci/run): Go binary tests skipped`,
      };
    }
  }
  try {
    execFileSync('bash', [join(REPO_ROOT, 'test/fixtures/lang/golang/build.sh'), dir], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
  } catch (err) {
    return {
      reason: `building the Go test binaries failed: ${(err as { stderr?: Buffer }).stderr?.toString().slice(-400)}`,
    };
  }
  return dir;
}

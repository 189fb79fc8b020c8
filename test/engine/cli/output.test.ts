/** `--output`: refused up front when it can never be written, one clear line when a write fails. */
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkOutputPath, writeOutput } from '../../../engine/cli/output.js';
import type { ScanError } from '../../../engine/errors.js';

const work = mkdtempSync(join(tmpdir(), 'snapscan-output-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('engine/cli/output', () => {
  it.each([
    { name: 'a directory', path: () => work, message: /: it is a directory; give a file name$/ },
    {
      name: 'a file in a missing folder',
      path: () => join(work, 'no/such/dir/out.json'),
      message: /: folder .*no\/such\/dir: no such file or directory$/,
    },
  ])('checkOutputPath refuses $name before any scan', async ({ path, message }) => {
    const err = (await checkOutputPath(path()).catch((e: unknown) => e)) as ScanError;
    expect(err.code).toBe('output-error');
    expect(err.message).toMatch(/^cannot write --output /);
    expect(err.message).toMatch(message);
    expect(err.message).not.toMatch(/EISDIR|ENOENT|ENOSPC/);
  });

  it('a writable new file passes the check and is written', async () => {
    const p = join(work, 'out.json');
    await checkOutputPath(p);
    await writeOutput('{}\n', p);
    expect(readFileSync(p, 'utf8')).toBe('{}\n');
  });

  it.skipIf(!existsSync('/dev/full'))('a full disk (/dev/full) gives one line, not raw ENOSPC', async () => {
    await checkOutputPath('/dev/full');
    const err = (await writeOutput('x'.repeat(100_000), '/dev/full').catch((e: unknown) => e)) as ScanError;
    expect(err.code).toBe('output-error');
    expect(err.message).toBe('cannot write --output /dev/full: no space left on the device');
  });
});

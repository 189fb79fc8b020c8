/**
 * `--output FILE`: checked before any work starts (a directory, or a folder that does not exist,
 * is refused at once rather than after a long scan) and written with one clear line on failure —
 * never Node's raw "EISDIR: illegal operation on a directory, open …" text.
 */
import { stat, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fsErrorText, ScanError } from '../errors.js';

function outputError(path: string, why: string, cause?: unknown): ScanError {
  return new ScanError(
    'output-error',
    `cannot write --output ${path}: ${why}`,
    cause ? { cause } : undefined,
  );
}

/** Refuses an output path that can never be written: a directory, or one inside a missing folder. */
export async function checkOutputPath(path: string): Promise<void> {
  try {
    if ((await stat(path)).isDirectory()) throw outputError(path, 'it is a directory; give a file name');
    return;
  } catch (err) {
    if (err instanceof ScanError) throw err;
    if ((err as { code?: string }).code !== 'ENOENT') throw outputError(path, fsErrorText(err), err);
  }
  const dir = dirname(resolve(path));
  try {
    if (!(await stat(dir)).isDirectory()) throw outputError(path, `${dir} is not a directory`);
  } catch (err) {
    if (err instanceof ScanError) throw err;
    throw outputError(path, `folder ${dir}: ${fsErrorText(err)}`, err);
  }
}

/** Writes the output file, or stdout when no path is given. */
export async function writeOutput(text: string, path: string | undefined): Promise<void> {
  if (!path) {
    process.stdout.write(text);
    return;
  }
  try {
    await writeFile(path, text);
  } catch (err) {
    throw outputError(path, fsErrorText(err), err);
  }
}

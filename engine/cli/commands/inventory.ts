/**
 * snapscan inventory --image disk.img [--format json|cyclonedx|table] [--output FILE]
 *                    [--packages os,lang] [--stats] [--quiet]
 */

import { LANG_SKIP_OPTION, langSkipList } from '../../../readers/lang-skip.js';
import { ScanError } from '../../errors.js';
import { inventoryToCycloneDx } from '../../inventory/cyclonedx.js';
import { inventoryToTable } from '../../inventory/table.js';
import type { Inventory } from '../../inventory/types.js';
import { type PackageKind, scanBlockSource } from '../../pipeline.js';
import { type CommandSpec, formatHelp, listOf, oneOf, parseCommand } from '../args.js';
import { outcomeExitCode, outcomeLines } from '../exit-codes.js';
import { openImage } from '../image.js';
import { checkOutputPath, writeOutput } from '../output.js';
import { makeProgress } from '../progress.js';

export const options = {
  image: { type: 'string', arg: 'FILE', description: 'raw disk image to read (required)' },
  format: {
    type: 'string',
    arg: 'FORMAT',
    description: 'json | cyclonedx | table (default: table on a terminal, json otherwise)',
  },
  output: { type: 'string', short: 'o', arg: 'FILE', description: 'write there instead of stdout' },
  packages: {
    type: 'string',
    arg: 'KINDS',
    description:
      'os,lang (default: both; lang = one bounded walk for Python, Node.js, Ruby, PHP, .NET, Java… packages)',
  },
  'lang-skip': LANG_SKIP_OPTION,
  details: {
    type: 'boolean',
    description: 'also read per-package file lists and licenses (more blocks read)',
  },
  'allow-partial': {
    type: 'boolean',
    description: 'exit 0 when the scan is partial (default: exit 3; failed scans exit 4)',
  },
  stats: {
    type: 'boolean',
    description: 'print bytes read, distinct 512 KiB blocks and wall time on stderr',
  },
  quiet: { type: 'boolean', short: 'q', description: 'no progress display' },
} satisfies CommandSpec;

export const usage = formatHelp(
  'snapscan inventory --image FILE [options]',
  `List the OS and language packages installed on a raw disk image (a disk with an MBR/GPT partition
table or a bare filesystem; .gz images are unpacked to the cache first).`,
  options,
);

export const FORMATS = ['json', 'cyclonedx', 'table'] as const;
export type OutputFormat = (typeof FORMATS)[number];

export function renderInventory(inv: Inventory, format: OutputFormat): string {
  switch (format) {
    case 'json':
      return `${JSON.stringify(inv, null, 2)}\n`;
    case 'cyclonedx':
      return `${inventoryToCycloneDx(inv)}\n`;
    case 'table':
      return inventoryToTable(inv);
  }
}

export function statsLine(inv: Inventory): string {
  const s = inv.stats;
  return `snapscan: read ${s.bytesRead} bytes in ${s.reads} reads, ${s.distinctBlocks} distinct 512 KiB blocks, ${s.wallMs} ms`;
}

export async function emit(text: string, output: string | undefined): Promise<void> {
  await writeOutput(text, output);
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, options);
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (!values.image)
    throw new ScanError('invalid-argument', '--image FILE is required (see snapscan inventory --help)');
  const format = oneOf(
    'format',
    values.format,
    FORMATS,
    process.stdout.isTTY && !values.output ? 'table' : 'json',
  );
  const kinds = listOf<PackageKind>('packages', values.packages, ['os', 'lang'], ['os', 'lang']);
  const langSkip = langSkipList(values['lang-skip']);
  if (values.output) await checkOutputPath(values.output);
  const progress = makeProgress({ quiet: values.quiet });
  const source = await openImage(values.image);
  let inv: Inventory;
  try {
    inv = await scanBlockSource(source, {
      resource: { type: 'image', id: values.image },
      packages: kinds,
      details: values.details ?? false,
      ...(langSkip ? { langWalk: { skip: langSkip } } : {}),
      onProgress: (m) => progress.update(m),
    });
  } finally {
    progress.done();
    await source.close();
  }
  await emit(renderInventory(inv, format), values.output);
  if (values.stats) process.stderr.write(`${statsLine(inv)}\n`);
  for (const line of outcomeLines(values.image, inv.status.state, inv.status.reasons))
    process.stderr.write(`${line}\n`);
  return outcomeExitCode([inv.status.state], values['allow-partial'] ?? false);
}

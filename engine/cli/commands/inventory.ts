/**
 * snapscan inventory --image disk.img [--format json|cyclonedx|table] [--output FILE]
 *                    [--packages os,lang] [--stats] [--quiet]
 */
import { ScanError } from '../../errors.js';
import { inventoryToCycloneDx } from '../../inventory/cyclonedx.js';
import { inventoryToTable } from '../../inventory/table.js';
import type { Inventory } from '../../inventory/types.js';
import { type PackageKind, scanBlockSource } from '../../pipeline.js';
import { listOf, oneOf, parseCommandArgs } from '../args.js';
import { outcomeExitCode, outcomeLines } from '../exit-codes.js';
import { openImage } from '../image.js';
import { checkOutputPath, writeOutput } from '../output.js';
import { makeProgress } from '../progress.js';

export const usage = `usage: snapscan inventory --image FILE [options]

List the OS packages (and, later, language packages) installed on a raw disk image (a disk with an
MBR/GPT partition table or a bare filesystem; .gz images are unpacked to the cache first).

options:
  --image FILE           raw disk image to read (required)
  --format FORMAT        json | cyclonedx | table (default: table on a terminal, json otherwise)
  --output FILE          write there instead of stdout
  --packages KINDS       os,lang (default: both; lang = one bounded walk for Python, Node.js, Ruby, PHP, .NET, Java… packages)
  --details              also read per-package file lists and licenses (more blocks read)
  --allow-partial        exit 0 when the scan is partial (default: exit 3; failed scans exit 4)
  --stats                print bytes read, distinct 512 KiB blocks and wall time on stderr
  --quiet                no progress display
`;

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
  const { values } = parseCommandArgs(argv, {
    image: { type: 'string' },
    format: { type: 'string' },
    output: { type: 'string', short: 'o' },
    packages: { type: 'string' },
    stats: { type: 'boolean' },
    'allow-partial': { type: 'boolean' },
    details: { type: 'boolean' },
    quiet: { type: 'boolean', short: 'q' },
    help: { type: 'boolean', short: 'h' },
  });
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
  if (values.output) await checkOutputPath(values.output);
  const progress = makeProgress({ quiet: values.quiet });
  const source = await openImage(values.image);
  let inv: Inventory;
  try {
    inv = await scanBlockSource(source, {
      resource: { type: 'image', id: values.image },
      packages: kinds,
      details: values.details ?? false,
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

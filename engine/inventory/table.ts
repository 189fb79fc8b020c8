/** Human-readable table of an inventory, for terminals. */
import { reasonLine } from './outcome.js';
import type { Inventory } from './types.js';

/** Left-aligned columns, two spaces apart (the last column is not padded). */
export function formatColumns(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) {
    for (const [i, c] of r.entries()) widths[i] = Math.max(widths[i] ?? 0, c.length);
  }
  return rows
    .map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  '))
    .join('\n');
}

export function inventoryToTable(inv: Inventory): string {
  const out: string[] = [];
  out.push(`${inv.resource.type} ${inv.resource.id}`);
  for (const v of inv.volumes) {
    const fs = v.filesystem
      ? `${v.filesystem.type} ${v.filesystem.label || v.filesystem.uuid}`
      : 'no filesystem';
    const os = v.os ? ` — ${v.os.prettyName ?? `${v.os.family} ${v.os.name}`}` : '';
    out.push(
      `  ${v.id} (${v.partition.scheme}${v.partition.name ? ` "${v.partition.name}"` : ''}): ${fs}${os}, ${v.packageCount} packages${v.status.state === 'complete' ? '' : ` [${v.status.state}]`}`,
    );
  }
  out.push('');
  const rows = [['NAME', 'VERSION', 'ARCH', 'TYPE', 'SOURCE']];
  for (const p of inv.packages) {
    const src = p.sourceName ? `${p.sourceName}${p.sourceVersion ? ` ${p.sourceVersion}` : ''}` : '';
    rows.push([p.name, p.version, p.arch ?? '', p.type, src]);
  }
  out.push(formatColumns(rows));
  out.push('');
  out.push(
    `${inv.packages.length} packages; status ${inv.status.state}${inv.status.issues.length ? ` (${inv.status.issues.length} issues)` : ''}`,
  );
  for (const r of inv.status.reasons) out.push(`  ${reasonLine(r)}`);
  for (const i of inv.status.issues) out.push(`  ${i.stage} ${i.location}: ${i.error.message}`);
  return `${out.join('\n')}\n`;
}

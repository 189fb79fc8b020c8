/**
 * Test builders for feed files the sample data has no copy of: a zip writer (OSV all.zip shape) and an
 * updateinfo.xml writer that renders vuln-list ALAS JSON back into the repository XML it came from.
 */
import { deflateRawSync } from 'node:zlib';
import { crc32 } from '../../../readers/bytes/crc32.js';

/** Minimal PKZIP writer: deflated entries, no data descriptors, no zip64 (APPNOTE 6.3.x §4.3). */
export function buildZip(entries: Array<{ name: string; data: Buffer; lieAboutSize?: number }>): Buffer {
  const parts: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const e of entries) {
    const name = Buffer.from(e.name, 'utf8');
    const comp = deflateRawSync(e.data);
    const crc = crc32(e.data) >>> 0;
    const size = e.lieAboutSize ?? e.data.length;
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x0800, 6); // UTF-8 names
    local.writeUInt16LE(8, 8); // deflate
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(comp.length, 18);
    local.writeUInt32LE(size, 22);
    local.writeUInt16LE(name.length, 26);
    parts.push(local, name, comp);
    const cd = Buffer.alloc(46);
    cd.writeUInt32LE(0x02014b50, 0);
    cd.writeUInt16LE(20, 4);
    cd.writeUInt16LE(20, 6);
    cd.writeUInt16LE(0x0800, 8);
    cd.writeUInt16LE(8, 10);
    cd.writeUInt32LE(crc, 16);
    cd.writeUInt32LE(comp.length, 20);
    cd.writeUInt32LE(size, 24);
    cd.writeUInt16LE(name.length, 28);
    cd.writeUInt32LE(offset, 42);
    central.push(cd, name);
    offset += local.length + name.length + comp.length;
  }
  const cdBuf = Buffer.concat(central);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(entries.length, 8);
  end.writeUInt16LE(entries.length, 10);
  end.writeUInt32LE(cdBuf.length, 12);
  end.writeUInt32LE(offset, 16);
  return Buffer.concat([...parts, cdBuf, end]);
}

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

interface AlasJson {
  id: string;
  title?: string;
  issued?: { date?: string };
  updated?: { date?: string };
  severity?: string;
  description?: string;
  packages?: Array<{
    name: string;
    epoch?: string;
    version: string;
    release: string;
    arch?: string;
    filename?: string;
  }>;
  references?: Array<{ href?: string; id?: string; type?: string; title?: string }>;
}

/** Renders ALAS JSON documents as one yum updateinfo.xml (the format Amazon Linux repos serve). */
export function buildUpdateinfo(docs: AlasJson[], extra = ''): string {
  const out = ['<?xml version="1.0" encoding="UTF-8"?>', '<updates>'];
  for (const d of docs) {
    out.push(
      '  <update author="amazon-linux" from="alas@amazon.com" status="final" type="security" version="1.4">',
    );
    out.push(`    <id>${esc(d.id)}</id>`);
    if (d.title) out.push(`    <title>${esc(d.title)}</title>`);
    if (d.issued?.date) out.push(`    <issued date="${esc(d.issued.date)}" />`);
    if (d.updated?.date) out.push(`    <updated date="${esc(d.updated.date)}" />`);
    if (d.severity) out.push(`    <severity>${esc(d.severity)}</severity>`);
    if (d.description) out.push(`    <description>${esc(d.description)}</description>`);
    out.push('    <references>');
    for (const r of d.references ?? []) {
      out.push(
        `      <reference href="${esc(r.href ?? '')}" id="${esc(r.id ?? '')}" title="${esc(r.title ?? '')}" type="${esc(r.type ?? '')}" />`,
      );
    }
    out.push('    </references>');
    out.push('    <pkglist>', '      <collection short="amazon-linux">', '        <name>Amazon Linux</name>');
    for (const p of d.packages ?? []) {
      out.push(
        `        <package arch="${esc(p.arch ?? '')}" epoch="${esc(p.epoch ?? '0')}" name="${esc(p.name)}" release="${esc(p.release)}" version="${esc(p.version)}">`,
        `          <filename>${esc(p.filename ?? '')}</filename>`,
        '        </package>',
      );
    }
    out.push('      </collection>', '    </pkglist>', '  </update>');
  }
  out.push(extra, '</updates>');
  return out.join('\n');
}

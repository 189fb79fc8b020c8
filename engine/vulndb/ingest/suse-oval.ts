/**
 * SUSE OVAL definitions (https://ftp.suse.com/pub/projects/security/oval/), OVAL 5.x:
 *
 *   <oval_definitions> <definitions>
 *     <definition id="oval:org.opensuse.security:def:…" class="vulnerability|patch">
 *       <metadata> <title>CVE-… | SUSE-SU-…</title> <description/> <reference ref_url=…/>
 *         <advisory> <issued date/> <updated date/> <severity>Moderate</severity>
 *                    <cve impact="moderate">CVE-…</cve> </advisory> </metadata>
 *       <criteria operator="AND|OR"> (<criteria …>|<criterion test_ref=… comment=…/>)* </criteria>
 *     </definition> </definitions> <tests/> <objects/> <states/> </oval_definitions>
 *
 * The criteria tree pairs platforms ("SUSE Linux Enterprise Server 15 SP1 is installed") with fixed
 * packages ("kernel-default-4.12.14-197.89.2 is installed", whose test is `evr less than` that
 * version). We read the pairs from the criterion comments, as other OVAL consumers of SUSE data do:
 * the comments carry both facts in a fixed form, and the truncated/partial files seen in the wild
 * keep the criteria even when tests/states are cut. Evaluation: a criterion is a platform when its
 * subject contains a space (product names do, NEVRAs never), else a package NEVR; OR concatenates
 * the alternatives of its children, AND takes their cross product (bounded), and every alternative
 * with both platforms and packages yields entries. Ecosystems follow osv.dev's SUSE naming:
 * "SUSE Linux Enterprise Server 15 SP1" → `SUSE:Linux Enterprise Server 15 SP1`, "openSUSE Leap 15.2" →
 * `openSUSE:Leap 15.2`. Fixed version: `version-release` of the NEVR (the epoch is not in the comment).
 */
import { XMLParser } from 'fast-xml-parser';
import { LimitExceededError } from '../../errors.js';
import type { Advisory, AffectedPackage } from '../../model/advisory.js';
import { type AdvisoryRecord, isRecord } from './types.js';

export const id = 'suse-oval';
export const displayName = 'SUSE OVAL definitions';
export const specUrls = [
  'https://oval.mitre.org/language/version5.11/',
  'https://ftp.suse.com/pub/projects/security/oval/',
];
export const version = 1;

const MAX_ALTERNATIVES = 100_000;
const MAX_CRITERIA_DEPTH = 32;

interface Alt {
  platforms: string[];
  packages: Array<{ name: string; fixed: string }>;
}

export function suseEcosystem(platform: string): string | undefined {
  if (platform.startsWith('SUSE ')) return `SUSE:${platform.slice(5)}`;
  if (platform.startsWith('openSUSE ')) return `openSUSE:${platform.slice(9)}`;
  return undefined;
}

/** `kernel-default-4.12.14-150.72.1` → name kernel-default, fixed 4.12.14-150.72.1. */
export function splitNevr(nevr: string): { name: string; fixed: string } | undefined {
  const r = nevr.lastIndexOf('-');
  if (r <= 0) return undefined;
  const v = nevr.lastIndexOf('-', r - 1);
  if (v <= 0) return undefined;
  let fixed = nevr.slice(v + 1);
  if (fixed.startsWith('0:')) fixed = fixed.slice(2);
  return { name: nevr.slice(0, v), fixed };
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v.trim() || undefined;
  if (isRecord(v) && typeof v['#text'] === 'string') return v['#text'].trim() || undefined;
  return undefined;
}

function asArray(v: unknown): unknown[] {
  return Array.isArray(v) ? v : v === undefined ? [] : [v];
}

function evaluate(node: unknown, depth: number, where: string): Alt[] {
  if (!isRecord(node) || depth > MAX_CRITERIA_DEPTH) return [];
  const children: Alt[][] = [];
  for (const c of asArray(node.criterion)) {
    const comment = isRecord(c) && typeof c.comment === 'string' ? c.comment : '';
    const m = /^(.+) is installed$/.exec(comment.trim());
    if (!m) continue;
    const subject = m[1]!;
    if (subject.includes(' ')) children.push([{ platforms: [subject], packages: [] }]);
    else {
      const p = splitNevr(subject);
      if (p) children.push([{ platforms: [], packages: [p] }]);
    }
  }
  for (const c of asArray(node.criteria)) children.push(evaluate(c, depth + 1, where));
  if (node.operator === 'OR') return children.flat();
  // AND (the OVAL default): every combination of one alternative per child.
  let acc: Alt[] = [{ platforms: [], packages: [] }];
  for (const alts of children) {
    if (alts.length === 0) continue;
    if (acc.length * alts.length > MAX_ALTERNATIVES) {
      throw new LimitExceededError(
        { format: 'oval', struct: 'criteria', offset: 0, field: where },
        'MAX_ALTERNATIVES',
        acc.length * alts.length,
        MAX_ALTERNATIVES,
      );
    }
    acc = acc.flatMap((a) =>
      alts.map((b) => ({
        platforms: [...a.platforms, ...b.platforms],
        packages: [...a.packages, ...b.packages],
      })),
    );
  }
  return acc;
}

export function parseSuseOval(
  xml: string,
  onError?: (defId: string, err: unknown) => void,
): AdvisoryRecord[] {
  const parser = new XMLParser({
    ignoreAttributes: false,
    attributeNamePrefix: '',
    processEntities: false,
    parseTagValue: false,
    parseAttributeValue: false,
    isArray: (name) => ['definition', 'criteria', 'criterion', 'reference', 'cve', 'platform'].includes(name),
  });
  const doc = parser.parse(xml) as unknown;
  const root = isRecord(doc) ? doc.oval_definitions : undefined;
  if (!isRecord(root)) throw new TypeError('SUSE OVAL: no <oval_definitions> root');
  const defs = isRecord(root.definitions) ? asArray(root.definitions.definition) : [];
  const out: AdvisoryRecord[] = [];
  for (const d of defs) {
    if (!isRecord(d) || !isRecord(d.metadata)) continue;
    const defId = typeof d.id === 'string' ? d.id : '?';
    try {
      const md = d.metadata;
      const title = text(md.title);
      if (!title) throw new TypeError('definition without title');
      const adv = isRecord(md.advisory) ? md.advisory : {};
      const cves = asArray(adv.cve)
        .map(text)
        .filter((c): c is string => c !== undefined && /^CVE-\d{4}-\d+$/.test(c));
      if (/^CVE-/.test(title) && !cves.includes(title)) cves.unshift(title);
      const advisoryId = /^CVE-/.test(title) ? `SUSE-${title}` : title;
      const advisory: Advisory = {
        id: advisoryId,
        source: 'suse-oval',
        aliases: cves,
        severity: [],
        references: asArray(md.reference)
          .map((r) => (isRecord(r) && typeof r.ref_url === 'string' ? r.ref_url : undefined))
          .filter((u): u is string => u !== undefined),
      };
      const description = text(md.description);
      if (description) advisory.details = description;
      const issued =
        isRecord(adv.issued) && typeof adv.issued.date === 'string' ? adv.issued.date : undefined;
      if (issued) advisory.published = issued;
      const updated =
        isRecord(adv.updated) && typeof adv.updated.date === 'string' ? adv.updated.date : undefined;
      if (updated) advisory.modified = updated;
      const severity = text(adv.severity);
      if (severity) advisory.vendorSeverity = severity;
      const seen = new Set<string>();
      const affected: AffectedPackage[] = [];
      for (const c of asArray(d.criteria)) {
        for (const alt of evaluate(c, 0, defId)) {
          for (const platform of alt.platforms) {
            const ecosystem = suseEcosystem(platform);
            if (!ecosystem) continue;
            for (const p of alt.packages) {
              const key = `${ecosystem}|${p.name}|${p.fixed}`;
              if (seen.has(key)) continue;
              seen.add(key);
              const a: AffectedPackage = {
                advisoryId,
                ecosystem,
                name: p.name,
                ranges: [{ type: 'ECOSYSTEM', events: [{ introduced: '0' }, { fixed: p.fixed }] }],
                versions: [],
              };
              if (severity) a.vendorSeverity = severity;
              affected.push(a);
            }
          }
        }
      }
      out.push({ advisory, affected });
    } catch (err) {
      onError?.(defId, err);
    }
  }
  return out;
}

export function sniffSuseOval(head: string): boolean {
  return /<oval_definitions[\s>]/.test(head) && /opensuse|suse/i.test(head);
}

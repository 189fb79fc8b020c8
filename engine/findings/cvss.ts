/**
 * CVSS vectors: checked for completeness here (the calculator silently scores a vector with missing
 * base metrics as 0), scored by ae-cvss-calculator (FIRST's v2.0, v3.0, v3.1 and v4.0 equations).
 *
 * Specs: https://www.first.org/cvss/v2/guide · https://www.first.org/cvss/v3.1/specification-document ·
 * https://www.first.org/cvss/v4.0/specification-document
 */
import cvssLib from 'ae-cvss-calculator';

export type CvssVersion = '2.0' | '3.0' | '3.1' | '4.0';

export interface ScoredVector {
  version: CvssVersion;
  vector: string;
  baseScore: number;
}

/** Base metrics each version requires, with their allowed values. */
const BASE_METRICS: Record<CvssVersion, Record<string, string>> = {
  '2.0': { AV: 'LAN', AC: 'HML', Au: 'MSN', C: 'NPC', I: 'NPC', A: 'NPC' },
  '3.0': { AV: 'NALP', AC: 'LH', PR: 'NLH', UI: 'NR', S: 'UC', C: 'HLN', I: 'HLN', A: 'HLN' },
  '3.1': { AV: 'NALP', AC: 'LH', PR: 'NLH', UI: 'NR', S: 'UC', C: 'HLN', I: 'HLN', A: 'HLN' },
  '4.0': {
    AV: 'NALP',
    AC: 'LH',
    AT: 'NP',
    PR: 'NLH',
    UI: 'NPA',
    VC: 'HLN',
    VI: 'HLN',
    VA: 'HLN',
    SC: 'HLN',
    SI: 'HLN',
    SA: 'HLN',
  },
};

/** Version of a vector string, undefined when it is not a CVSS vector. */
export function vectorVersion(vector: string): CvssVersion | undefined {
  const m = /^CVSS:(3\.0|3\.1|4\.0)\//.exec(vector);
  if (m) return m[1] as CvssVersion;
  if (/^\(?AV:[LAN]\/AC:[HML]\/Au:[MSN]\//.test(vector)) return '2.0';
  return undefined;
}

/** True when every base metric of the version is present once with an allowed value. */
export function isCompleteVector(vector: string, version: CvssVersion): boolean {
  const body = version === '2.0' ? vector.replace(/^\(|\)$/g, '') : vector.slice(vector.indexOf('/') + 1);
  const seen = new Map<string, string>();
  for (const part of body.split('/')) {
    const i = part.indexOf(':');
    if (i <= 0) return false;
    const k = part.slice(0, i);
    if (seen.has(k)) return false;
    seen.set(k, part.slice(i + 1));
  }
  for (const [metric, allowed] of Object.entries(BASE_METRICS[version])) {
    const v = seen.get(metric);
    if (v?.length !== 1 || !allowed.includes(v)) return false;
  }
  return true;
}

/** Parses and scores a vector; undefined when it is malformed or incomplete (never a made-up 0). */
export function scoreVector(vector: string): ScoredVector | undefined {
  const v = vector.trim();
  const version = vectorVersion(v);
  if (!version || !isCompleteVector(v, version)) return undefined;
  try {
    const clean = version === '2.0' ? v.replace(/^\(|\)$/g, '') : v;
    const calc =
      version === '2.0'
        ? new cvssLib.Cvss2(clean)
        : version === '3.0'
          ? new cvssLib.Cvss3P0(clean)
          : version === '3.1'
            ? new cvssLib.Cvss3P1(clean)
            : new cvssLib.Cvss4P0(clean);
    const scores = calc.calculateScores() as { base?: number; overall?: number };
    const base = typeof scores.base === 'number' ? scores.base : scores.overall;
    if (typeof base !== 'number' || !Number.isFinite(base) || base < 0 || base > 10) return undefined;
    return { version, vector: clean, baseScore: Math.round(base * 10) / 10 };
  } catch {
    return undefined;
  }
}

/** Independent native oracles for the real-data matcher tests: dpkg, python3-rpm, Python packaging. */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';

export const hasDpkg = spawnSync('dpkg', ['--version']).status === 0;
/** Debian's system Python carries python3-rpm; pyenv's python3 carries `packaging`. */
const SYSTEM_PYTHON = '/usr/bin/python3';
export const hasRpmPython =
  existsSync(SYSTEM_PYTHON) && spawnSync(SYSTEM_PYTHON, ['-c', 'import rpm']).status === 0;
export const hasPackaging = spawnSync('python3', ['-c', 'import packaging.version']).status === 0;

/** `dpkg --compare-versions a lt b`, one process per pair (cached). */
const dpkgCache = new Map<string, boolean>();
export function dpkgLess(a: string, b: string): boolean {
  const key = `${a}\0${b}`;
  let r = dpkgCache.get(key);
  if (r === undefined) {
    r = spawnSync('dpkg', ['--compare-versions', a, 'lt', b]).status === 0;
    dpkgCache.set(key, r);
  }
  return r;
}

/** rpm.labelCompare for many EVR pairs in one python3-rpm process: -1 | 0 | 1 each. */
export function rpmLabelCompare(pairs: Array<[string, string]>): number[] {
  const script = `
import json, sys, rpm
def evr(s):
    e, _, rest = s.rpartition(':') if ':' in s else (None, '', s)
    v, _, r = rest.rpartition('-') if '-' in rest else (rest, '', None)
    return (e or None, v, r)
print(json.dumps([rpm.labelCompare(evr(a), evr(b)) for a, b in json.load(sys.stdin)]))
`;
  const out = spawnSync(SYSTEM_PYTHON, ['-c', script], { input: JSON.stringify(pairs), encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`python3-rpm oracle failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as number[];
}

export interface PyCase {
  installed: string;
  versions: string[];
  ranges: Array<{ type: string; events: Array<Record<string, string>> }>;
}

/**
 * An independent implementation of the OSV evaluation in Python over `packaging.version`:
 * 'affected' | 'not-affected' | 'unknown' (installed or event version not PEP 440).
 */
export function pypiOracle(cases: PyCase[]): string[] {
  const script = `
import json, sys
from packaging.version import Version, InvalidVersion
def verdict(c):
    try:
        v = Version(c['installed'])
    except InvalidVersion:
        return 'unknown'
    for lv in c['versions']:
        try:
            if Version(lv) == v: return 'affected'
        except InvalidVersion:
            if lv == c['installed']: return 'affected'
    unknown = False
    for r in c['ranges']:
        if r['type'] != 'ECOSYSTEM': continue
        try:
            evs = []
            for e in r['events']:
                (k, x), = e.items()
                if k == 'limit': continue
                evs.append((k, x, Version('0') if (k == 'introduced' and x == '0') else Version(x)))
        except InvalidVersion:
            unknown = True
            continue
        evs.sort(key=lambda e: (e[2], 0 if e[0] == 'introduced' else 1))
        vuln = False
        for k, x, ver in evs:
            if k == 'introduced' and (x == '0' or v >= ver): vuln = True
            elif k == 'fixed' and v >= ver: vuln = False
            elif k == 'last_affected' and v > ver: vuln = False
        if vuln: return 'affected'
    return 'unknown' if unknown else 'not-affected'
print(json.dumps([verdict(c) for c in json.load(sys.stdin)]))
`;
  const out = spawnSync('python3', ['-c', script], { input: JSON.stringify(cases), encoding: 'utf8' });
  if (out.status !== 0) throw new Error(`packaging oracle failed: ${out.stderr}`);
  return JSON.parse(out.stdout) as string[];
}

/**
 * deb-version(7): `[epoch:]upstream_version[-debian_revision]`. The epoch is the digits before the
 * first ':'; the revision is what follows the last '-' (upstream versions may contain '-' only
 * when a revision is present). Comparison lives in engine/versioning; this only splits.
 */

export interface DebVersion {
  epoch?: number;
  upstream: string;
  revision?: string;
}

const EPOCH_RE = /^(\d+):/;

/** Splits a Debian version; returns undefined for a string dpkg would reject outright. */
export function splitDebVersion(v: string): DebVersion | undefined {
  const s = v.trim();
  if (s === '' || /\s/.test(s)) return undefined;
  let rest = s;
  let epoch: number | undefined;
  const m = EPOCH_RE.exec(rest);
  if (m) {
    epoch = Number(m[1]);
    if (!Number.isSafeInteger(epoch)) return undefined;
    rest = rest.slice(m[0].length);
  } else if (rest.includes(':') && !rest.includes('-')) {
    // A ':' is allowed in the upstream part only when there is an epoch.
    return undefined;
  }
  const dash = rest.lastIndexOf('-');
  const upstream = dash >= 0 ? rest.slice(0, dash) : rest;
  const revision = dash >= 0 ? rest.slice(dash + 1) : undefined;
  if (upstream === '' || revision === '') return undefined;
  const out: DebVersion = { upstream };
  if (epoch !== undefined) out.epoch = epoch;
  if (revision !== undefined) out.revision = revision;
  return out;
}

export function formatDebVersion(v: DebVersion): string {
  return `${v.epoch !== undefined ? `${v.epoch}:` : ''}${v.upstream}${v.revision !== undefined ? `-${v.revision}` : ''}`;
}

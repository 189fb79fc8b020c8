/**
 * The tags that mark a snapshot as snapscan's. They are set at creation (TagSpecifications on
 * CreateSnapshots), so no snapshot exists untagged even for a moment; the janitor deletes only
 * snapshots carrying `snapscan:managed=true` whose `snapscan:expires-at` has passed.
 */
export const TAG_MANAGED = 'snapscan:managed';
export const TAG_RUN = 'snapscan:run';
export const TAG_EXPIRES_AT = 'snapscan:expires-at';
export const TAG_INSTANCE = 'snapscan:instance';

export interface TagLike {
  Key?: string | undefined;
  Value?: string | undefined;
}

export function tagMap(tags: readonly TagLike[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const t of tags ?? []) if (t.Key !== undefined) out[t.Key] = t.Value ?? '';
  return out;
}

export function managedTags(
  runId: string,
  expiresAt: Date,
  instanceId?: string,
): { Key: string; Value: string }[] {
  const tags = [
    { Key: TAG_MANAGED, Value: 'true' },
    { Key: TAG_RUN, Value: runId },
    { Key: TAG_EXPIRES_AT, Value: expiresAt.toISOString() },
  ];
  if (instanceId) tags.push({ Key: TAG_INSTANCE, Value: instanceId });
  return tags;
}

/**
 * Why a snapshot must not be deleted by the janitor, or undefined when it may. Checked client-side
 * on the snapshot's current tags, whatever the server-side filter returned.
 */
export function notExpiredReason(tags: Record<string, string>, now: Date): string | undefined {
  if (tags[TAG_MANAGED] !== 'true') return `no ${TAG_MANAGED}=true tag`;
  const at = tags[TAG_EXPIRES_AT];
  if (at === undefined) return `no ${TAG_EXPIRES_AT} tag`;
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/.test(at))
    return `${TAG_EXPIRES_AT} "${at}" is not an ISO UTC time`;
  const t = Date.parse(at);
  if (Number.isNaN(t)) return `${TAG_EXPIRES_AT} "${at}" is not a valid time`;
  if (t > now.getTime()) return `expires at ${at}`;
  return undefined;
}

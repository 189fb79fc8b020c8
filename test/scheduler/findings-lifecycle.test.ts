import type { PutEventsRequestEntry } from '@aws-sdk/client-eventbridge';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../engine/findings/index.js';
import { batchEntries, entrySize, MAX_BYTES_PER_CALL } from '../../scheduler/events.js';
import { mergeFindings } from '../../scheduler/findings-lifecycle.js';
import { parseSuppressions, suppressionFor } from '../../scheduler/suppressions.js';

const T0 = '2026-12-01T00:00:00.000Z';
function finding(arn: string, o: Partial<Finding> & { cve?: string; pkg?: string } = {}): Finding {
  const { cve = 'CVE-2024-0001', pkg = 'openssl', ...rest } = o;
  return {
    findingArn: arn,
    awsAccountId: '123456789012',
    severity: 'HIGH',
    status: 'ACTIVE',
    fixAvailable: 'YES',
    firstObservedAt: T0,
    lastObservedAt: T0,
    updatedAt: T0,
    resources: [{ type: 'AWS_EC2_INSTANCE', id: 'i-0123456789abcdef0' }],
    packageVulnerabilityDetails: {
      vulnerabilityId: cve,
      vulnerablePackages: [
        { name: pkg, version: '3.0.1', epoch: 0, packageManager: 'OS', fixedInVersion: '3.0.2' },
      ],
    },
    ...rest,
  } as Finding;
}

const day = 86_400_000;
const opts = (now: string, closeUnseen = true) => ({
  now: new Date(now),
  closedRetentionMs: 30 * day,
  rules: [],
  closeUnseen,
});

describe('scheduler/findings-lifecycle', () => {
  it('seen again: same arn and firstObservedAt, new lastObservedAt, ACTIVE; unchanged updatedAt', () => {
    const prev = [finding('a')];
    const r = mergeFindings(
      prev,
      [finding('a', { firstObservedAt: '2026-12-02T00:00:00.000Z' })],
      opts('2026-12-02T00:00:00.000Z'),
    );
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]).toMatchObject({
      findingArn: 'a',
      status: 'ACTIVE',
      firstObservedAt: T0,
      lastObservedAt: '2026-12-02T00:00:00.000Z',
      updatedAt: T0,
    });
    expect([r.opened, r.closed, r.suppressed].map((x) => x.length)).toEqual([0, 0, 0]);
  });

  it('no longer seen: CLOSED (kept), event once; dropped after the retention', () => {
    const r1 = mergeFindings([finding('a'), finding('b')], [finding('a')], opts('2026-12-02T00:00:00.000Z'));
    expect(r1.closed.map((f) => f.findingArn)).toEqual(['b']);
    const b = r1.findings.find((f) => f.findingArn === 'b')!;
    expect(b).toMatchObject({ status: 'CLOSED', updatedAt: '2026-12-02T00:00:00.000Z' });
    const r2 = mergeFindings(r1.findings, [finding('a')], opts('2026-12-10T00:00:00.000Z'));
    expect(r2.closed).toEqual([]);
    expect(r2.findings.map((f) => [f.findingArn, f.status])).toEqual([
      ['a', 'ACTIVE'],
      ['b', 'CLOSED'],
    ]);
    const r3 = mergeFindings(r2.findings, [finding('a')], opts('2027-01-05T00:00:00.000Z'));
    expect(r3.findings.map((f) => f.findingArn)).toEqual(['a']);
  });

  it('a partial scan closes nothing', () => {
    const r = mergeFindings(
      [finding('a'), finding('b')],
      [finding('a')],
      opts('2026-12-02T00:00:00.000Z', false),
    );
    expect(r.closed).toEqual([]);
    expect(r.findings.map((f) => [f.findingArn, f.status])).toEqual([
      ['a', 'ACTIVE'],
      ['b', 'ACTIVE'],
    ]);
  });

  it('reopened after CLOSED: opened again with a new firstObservedAt', () => {
    const closed = finding('a', { status: 'CLOSED', updatedAt: '2026-12-02T00:00:00.000Z' });
    const r = mergeFindings([closed], [finding('a')], opts('2026-12-03T00:00:00.000Z'));
    expect(r.opened.map((f) => f.findingArn)).toEqual(['a']);
    expect(r.findings[0]).toMatchObject({ status: 'ACTIVE', firstObservedAt: '2026-12-03T00:00:00.000Z' });
  });

  it('duplicates in one scan are kept once', () => {
    const r = mergeFindings([], [finding('a'), finding('a')], opts(T0));
    expect(r.findings).toHaveLength(1);
    expect(r.opened).toHaveLength(1);
  });

  it('suppression: matches become SUPPRESSED (event once), unmatching stay ACTIVE', () => {
    const rules = parseSuppressions([
      { reason: 'accepted', criteria: { vulnerabilityId: ['CVE-2024-0001'] } },
    ]);
    const cur = [finding('a'), finding('b', { cve: 'CVE-2024-0002' })];
    const r1 = mergeFindings([], cur, { ...opts(T0), rules });
    expect(r1.findings.map((f) => [f.findingArn, f.status])).toEqual([
      ['a', 'SUPPRESSED'],
      ['b', 'ACTIVE'],
    ]);
    expect(r1.suppressed.map((f) => f.findingArn)).toEqual(['a']);
    const r2 = mergeFindings(r1.findings, cur, { ...opts('2026-12-02T00:00:00.000Z'), rules });
    expect(r2.suppressed).toEqual([]);
  });
});

describe('scheduler/suppressions', () => {
  const f = finding('a', { severity: 'LOW', pkg: 'libssl3' });
  it.each<{ criteria: Record<string, unknown>; tags: Record<string, string>; hit: boolean }>([
    { criteria: { severity: ['LOW'] }, tags: {}, hit: true },
    { criteria: { severity: ['HIGH', 'CRITICAL'] }, tags: {}, hit: false },
    { criteria: { severity: ['LOW'], fixAvailable: ['NO'] }, tags: {}, hit: false },
    { criteria: { packageName: [{ comparison: 'PREFIX', value: 'libssl' }] }, tags: {}, hit: true },
    { criteria: { packageName: [{ comparison: 'NOT_EQUALS', value: 'libssl3' }] }, tags: {}, hit: false },
    { criteria: { vulnerabilityId: [{ comparison: 'NOT_EQUALS', value: 'CVE-1' }] }, tags: {}, hit: true },
    { criteria: { resourceId: ['i-0123456789abcdef0'] }, tags: {}, hit: true },
    { criteria: { resourceTags: [{ key: 'env', value: 'dev' }] }, tags: { env: 'dev' }, hit: true },
    { criteria: { resourceTags: [{ key: 'env', value: 'dev' }] }, tags: { env: 'prod' }, hit: false },
    { criteria: { resourceTags: [{ key: 'env' }] }, tags: { env: 'prod' }, hit: true },
  ])('$criteria with tags $tags → $hit', ({ criteria, tags, hit }) => {
    const rules = parseSuppressions([{ name: 'r', reason: 'why', criteria }]);
    expect(suppressionFor(f, rules, tags)?.name === 'r').toBe(hit);
  });
  it.each([
    [{}, /list of rules/],
    [[{ criteria: { severity: ['LOW'] } }], /rule 0 needs a "reason"/],
    [[{ reason: 'x', criteria: {} }], /non-empty "criteria"/],
    [[{ reason: 'x', criteria: { colour: ['red'] } }], /unknown field "colour"/],
    [[{ reason: 'x', criteria: { severity: 'LOW' } }], /severity must be a list/],
    [[{ reason: 'x', criteria: { severity: [{ comparison: 'LIKE', value: 'x' }] } }], /EQUALS/],
  ])('rejects %j', (json, re) => expect(() => parseSuppressions(json)).toThrow(re));
});

describe('scheduler/events', () => {
  const entry = (bytes: number): PutEventsRequestEntry => ({
    Source: 'snapscan',
    DetailType: 'x',
    Detail: 'd'.repeat(bytes),
  });
  it('entry size as AWS counts it', () => {
    expect(
      entrySize({ Source: 'ab', DetailType: 'cd', Detail: 'é', Resources: ['r1'], Time: new Date() }),
    ).toBe(2 + 2 + 2 + 2 + 14);
  });
  it('batches of at most 10 entries and 256 KB; an oversized entry is rejected, not sent', () => {
    const small = Array.from({ length: 25 }, () => entry(100));
    expect(batchEntries(small).batches.map((b) => b.length)).toEqual([10, 10, 5]);
    const big = Array.from({ length: 5 }, () => entry(100 * 1024));
    const r = batchEntries([...big, entry(MAX_BYTES_PER_CALL)]);
    expect(r.batches.map((b) => b.length)).toEqual([2, 2, 1]);
    for (const b of r.batches)
      expect(b.reduce((n, e) => n + entrySize(e), 0)).toBeLessThanOrEqual(MAX_BYTES_PER_CALL);
    expect(r.tooLarge).toHaveLength(1);
  });
});

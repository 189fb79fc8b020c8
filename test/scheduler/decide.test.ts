import { describe, expect, it } from 'vitest';
import { chooseMethod, dueness, eligibility, type SchedulerMode } from '../../scheduler/decide.js';
import type { DiscoveredInstance } from '../../scheduler/discover.js';
import { parseDuration, parseDurationOrOff } from '../../scheduler/duration.js';
import type { ManagedInstance } from '../../scheduler/ssm.js';

const H = 3_600_000;
const now = new Date('2026-12-01T12:00:00Z');
const ago = (h: number) => new Date(now.getTime() - h * H).toISOString();
const inst = (state: string, tags: Record<string, string> = {}): DiscoveredInstance => ({
  instanceId: 'i-0123456789abcdef0',
  region: 'us-east-1',
  state,
  tags,
  volumes: [],
});
const agent = (pingStatus: string, platformName = 'Debian GNU/Linux'): ManagedInstance => ({
  instanceId: 'i-0123456789abcdef0',
  pingStatus,
  platformType: 'Linux',
  platformName,
  platformVersion: '12',
});

describe('scheduler/decide', () => {
  it.each<{ state: string; tags: Record<string, string>; want: string }>([
    { state: 'running', tags: {}, want: 'eligible' },
    { state: 'running', tags: { 'snapscan:exclude': 'true' }, want: 'EXCLUDED_BY_TAG' },
    { state: 'running', tags: { 'snapscan:exclude': 'TRUE' }, want: 'EXCLUDED_BY_TAG' },
    { state: 'running', tags: { 'snapscan:exclude': 'false' }, want: 'eligible' },
    { state: 'running', tags: { InspectorEc2Exclusion: '' }, want: 'EXCLUDED_BY_TAG' },
    { state: 'stopped', tags: {}, want: 'EC2_INSTANCE_STOPPED' },
    { state: 'stopping', tags: {}, want: 'EC2_INSTANCE_STOPPED' },
    { state: 'stopped', tags: { 'snapscan:exclude': 'true' }, want: 'EXCLUDED_BY_TAG' },
    { state: 'terminated', tags: { 'snapscan:exclude': 'true' }, want: 'terminated' },
    { state: 'pending', tags: {}, want: 'transient' },
    { state: 'shutting-down', tags: {}, want: 'transient' },
  ])('eligibility: $state $tags → $want', ({ state, tags, want }) => {
    const e = eligibility(inst(state, tags));
    expect(e.kind === 'skip' ? e.reason : e.kind).toBe(want);
  });

  it.each<{ mode: SchedulerMode; managed?: ManagedInstance; capture?: string; want: string }>([
    { mode: 'hybrid', managed: agent('Online'), capture: ago(1), want: 'ssm' },
    { mode: 'hybrid', managed: agent('Online'), capture: ago(25), want: 'agentless STALE_INVENTORY' },
    { mode: 'hybrid', managed: agent('Online'), capture: 'not a time', want: 'agentless STALE_INVENTORY' },
    { mode: 'hybrid', managed: agent('Online'), want: 'agentless NO_INVENTORY' },
    {
      mode: 'hybrid',
      managed: agent('ConnectionLost'),
      capture: ago(1),
      want: 'agentless UNMANAGED_EC2_INSTANCE',
    },
    { mode: 'hybrid', capture: ago(1), want: 'agentless UNMANAGED_EC2_INSTANCE' },
    {
      mode: 'hybrid',
      managed: agent('Online', 'Microsoft Windows Server 2022'),
      capture: ago(1),
      want: 'agentless UNSUPPORTED_OS',
    },
    { mode: 'agentless', managed: agent('Online'), capture: ago(1), want: 'agentless' },
    { mode: 'ssm-only', managed: agent('Online'), capture: ago(1), want: 'ssm' },
    { mode: 'ssm-only', managed: agent('Online'), capture: ago(48), want: 'none STALE_INVENTORY' },
    { mode: 'ssm-only', managed: agent('Online'), want: 'none NO_INVENTORY' },
    { mode: 'ssm-only', want: 'none UNMANAGED_EC2_INSTANCE' },
  ])(
    'chooseMethod: $mode, agent $managed.pingStatus, inventory $capture → $want',
    ({ mode, managed, capture, want }) => {
      const c = chooseMethod(mode, managed, capture, now, 24 * H);
      expect([c.method, 'reason' in c ? c.reason : undefined].filter(Boolean).join(' ')).toBe(want);
    },
  );

  const o = { now, intervalMs: 24 * H, retryFailedMs: H };
  const ssm = chooseMethod('hybrid', agent('Online'), ago(1), now, 24 * H);
  const agentless = chooseMethod('agentless', undefined, undefined, now, 24 * H);
  it.each([
    { label: 'never scanned', last: undefined, choice: agentless, due: true },
    {
      label: 'scanned 1 h ago',
      last: { lastScannedAt: ago(1), lastAttemptAt: ago(1) },
      choice: agentless,
      due: false,
    },
    {
      label: 'scanned 24 h ago',
      last: { lastScannedAt: ago(24), lastAttemptAt: ago(24) },
      choice: agentless,
      due: true,
    },
    {
      label: 'failed 30 min ago',
      last: { lastAttemptAt: ago(0.5), failed: true },
      choice: agentless,
      due: false,
    },
    { label: 'failed 2 h ago', last: { lastAttemptAt: ago(2), failed: true }, choice: agentless, due: true },
    {
      label: 'SSM evaluated 2 h ago from the same capture',
      last: { lastScannedAt: ago(2), scanMode: 'EC2_SSM_AGENT_BASED' as const, ssmCaptureTime: ago(1) },
      choice: ssm,
      due: false,
    },
    {
      label: 'SSM evaluated 2 h ago, new capture since',
      last: { lastScannedAt: ago(2), scanMode: 'EC2_SSM_AGENT_BASED' as const, ssmCaptureTime: ago(3) },
      choice: ssm,
      due: true,
    },
  ])('dueness: $label → $due', ({ last, choice, due }) => {
    expect(dueness(last, choice, o).due).toBe(due);
  });

  it('orders the longest overdue first', () => {
    const a = dueness({ lastScannedAt: ago(30) }, agentless, o).overdueMs;
    const b = dueness({ lastScannedAt: ago(25) }, agentless, o).overdueMs;
    const never = dueness(undefined, agentless, o).overdueMs;
    expect(never > a && a > b).toBe(true);
  });
});

describe('scheduler/duration', () => {
  it.each([
    ['24h', 24 * H],
    ['30m', 30 * 60_000],
    ['90s', 90_000],
    ['7d', 7 * 24 * H],
    ['1.5h', 1.5 * H],
    ['200ms', 200],
    ['0', 0],
  ])('%s', (raw, ms) => expect(parseDuration('interval', raw)).toBe(ms));
  it.each(['', '24', 'h', '-1h', '1w', '400d', '24 hours'])('rejects "%s" naming the option', (raw) => {
    expect(() => parseDuration('interval', raw)).toThrow(/--interval/);
  });
  it('off', () => expect(parseDurationOrOff('reuse-snapshots', 'off')).toBeUndefined());
});

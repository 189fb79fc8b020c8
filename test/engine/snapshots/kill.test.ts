import { spawn } from 'node:child_process';
import path from 'node:path';
import type { EC2Client } from '@aws-sdk/client-ec2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TAG_MANAGED } from '../../../engine/snapshots/index.js';
import { runJanitor } from '../../../scheduler/janitor.js';
import { ec2For } from '../../emulator/clients.js';
import { type Emulator, startEmulator } from '../../emulator/index.js';
import { EMULATOR_ENV, runCli } from '../../emulator/run-cli.js';
import { buildTestImage, REPO_ROOT } from '../../emulator/test-image.js';

const SCRIPT = path.join(REPO_ROOT, 'test/engine/snapshots/fixtures/hang-in-scan.ts');

/** Starts the child, resolves once it is scanning, then sends `signal`; resolves with its output. */
function killMidScan(endpoint: string, instanceId: string, signal: NodeJS.Signals) {
  return new Promise<{
    created: string[];
    stdout: string;
    code: number | null;
    signal: NodeJS.Signals | null;
  }>((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, endpoint, instanceId, '1000'], {
      env: { ...process.env, ...EMULATOR_ENV },
      stdio: ['ignore', 'pipe', 'pipe'],
      cwd: REPO_ROOT,
    });
    let stdout = '';
    let stderr = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`child did not reach the scan: ${stdout} ${stderr}`));
    }, 60_000);
    child.stdout.on('data', (d) => {
      stdout += d;
      if (stdout.includes('scanning\n') && !child.killed) child.kill(signal);
    });
    child.stderr.on('data', (d) => {
      stderr += d;
    });
    child.on('close', (code, sig) => {
      clearTimeout(timer);
      const created = /created (.*)\n/.exec(stdout)?.[1]?.split(' ') ?? [];
      resolve({ created, stdout, code, signal: sig });
    });
  });
}

describe('engine/snapshots (process killed mid-scan)', () => {
  let emu: Emulator;
  let ec2: EC2Client;
  let instanceId: string;

  beforeAll(async () => {
    emu = await startEmulator();
    const image = buildTestImage();
    const a = await emu.addVolume({ imagePath: image });
    const b = await emu.addVolume({ imagePath: image });
    instanceId = emu.addInstance({
      volumes: [
        { volumeId: a, device: '/dev/xvda' },
        { volumeId: b, device: '/dev/xvdb' },
      ],
    });
    ec2 = ec2For(emu.endpoint);
  });
  afterAll(async () => {
    ec2?.destroy();
    await emu?.close();
  });

  it('SIGKILL leaves tagged snapshots; the janitor removes them once expired, and only them', async () => {
    const untagged = emu.addSnapshot(emu.snapshots()[0]?.volumeId ?? [...emu.volumes.keys()][0]!);
    const r = await killMidScan(emu.endpoint, instanceId, 'SIGKILL');
    expect(r.signal).toBe('SIGKILL');
    expect(r.created).toHaveLength(2);
    const live = emu.snapshots().filter((s) => r.created.includes(s.snapshotId));
    expect(live).toHaveLength(2);
    for (const s of live) expect(s.tags[TAG_MANAGED]).toBe('true');
    // Not yet expired (ttl 1 s from creation, checked at creation time): the janitor keeps them.
    const early = await runJanitor(ec2, { now: new Date(live[0]!.startTime.getTime()) });
    expect(early.deleted).toEqual([]);
    // Past the expiry, through the CLI as an operator would run it.
    const later = new Date(Date.now() + 60_000).toISOString();
    const out = await runCli(['janitor', '--endpoint', emu.endpoint, '--now', later]);
    expect(out.code).toBe(0);
    const after = new Set(emu.snapshots().map((s) => s.snapshotId));
    for (const id of r.created) expect(after.has(id)).toBe(false);
    expect(after.has(untagged)).toBe(true);
  });

  it.each(['SIGTERM', 'SIGINT'] as const)(
    '%s deletes the snapshots, then the process dies of the signal',
    async (sig) => {
      const r = await killMidScan(emu.endpoint, instanceId, sig);
      expect(r.created).toHaveLength(2);
      expect(r.stdout).toContain(`deleted ${r.created.join(' ')}`);
      expect(r.signal).toBe(sig);
      const after = new Set(emu.snapshots().map((s) => s.snapshotId));
      for (const id of r.created) expect(after.has(id)).toBe(false);
    },
  );
});

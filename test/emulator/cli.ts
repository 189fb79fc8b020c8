/**
 * `snapscan emulator --image disk.img [--image …]` (development only: a checkout's command, absent
 * from the published package, whose tarball holds no test/ code; engine/cli/main.ts loads it from
 * the sources): serves raw images as EBS snapshots over the
 * wire-level AWS emulator (EBS direct, EC2, STS) on loopback, prints the endpoint and the ids it
 * serves, and runs until killed. Each image becomes a volume with a completed snapshot; all volumes
 * are attached to one instance, so `scan --snapshot` and `scan --instance` both have a target.
 */
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EMULATOR_CREDENTIALS, type FaultOptions, startEmulator } from './index.js';

export const usage = `snapscan emulator --image FILE [--image FILE…] [--host 127.0.0.1] [--port 0] [--seed N]
    [--latency-ms N] [--throttle-rate R] [--error-rate R] [--reset-rate R] [--corrupt-rate R]
    [--truncate-rate R] [--pending-describes N] [--json]`;

function rate(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n >= 0 && n <= 1)) throw new RangeError(`--${name} must be a number in 0..1, got "${v}"`);
  return n;
}

function count(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new RangeError(`--${name} must be a non-negative integer, got "${v}"`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  let values: Record<string, string | boolean | string[] | undefined>;
  let faults: FaultOptions;
  let port: number;
  let seed: number | undefined;
  let pendingDescribes: number | undefined;
  try {
    ({ values } = parseArgs({
      args: argv,
      options: {
        image: { type: 'string', multiple: true },
        host: { type: 'string' },
        port: { type: 'string' },
        seed: { type: 'string' },
        'latency-ms': { type: 'string' },
        'throttle-rate': { type: 'string' },
        'error-rate': { type: 'string' },
        'reset-rate': { type: 'string' },
        'corrupt-rate': { type: 'string' },
        'truncate-rate': { type: 'string' },
        'pending-describes': { type: 'string' },
        json: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }));
    if (values.help) {
      process.stdout.write(`${usage}\n`);
      return 0;
    }
    if (!Array.isArray(values.image) || values.image.length === 0)
      throw new RangeError('--image is required');
    const latency = count('latency-ms', values['latency-ms'] as string | undefined);
    faults = {
      throttleRate: rate('throttle-rate', values['throttle-rate'] as string | undefined),
      serverErrorRate: rate('error-rate', values['error-rate'] as string | undefined),
      resetRate: rate('reset-rate', values['reset-rate'] as string | undefined),
      corruptRate: rate('corrupt-rate', values['corrupt-rate'] as string | undefined),
      truncateRate: rate('truncate-rate', values['truncate-rate'] as string | undefined),
      ...(latency ? { latency: { kind: 'fixed' as const, ms: latency } } : {}),
    };
    port = count('port', values.port as string | undefined) ?? 0;
    seed = count('seed', values.seed as string | undefined);
    pendingDescribes = count('pending-describes', values['pending-describes'] as string | undefined);
  } catch (err) {
    process.stderr.write(`snapscan emulator: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  const emu = await startEmulator({
    host: (values.host as string | undefined) ?? '127.0.0.1',
    port,
    faults,
    ...(seed !== undefined ? { seed } : {}),
  });
  const served: { image: string; device: string; volumeId: string; snapshotId: string; blocks: number }[] =
    [];
  const devices = 'abcdefghijklmnopqrstuvwxyz';
  const images = values.image as string[];
  try {
    for (const [i, image] of images.entries()) {
      const abs = path.resolve(image);
      const volumeId = await emu.addVolume({ imagePath: abs });
      const snapshotId = emu.addSnapshot(volumeId, { tags: { Name: path.basename(abs) } });
      const blocks = (await emu.images.written(abs)).length;
      served.push({ image: abs, device: `/dev/xvd${devices[i % 26]}`, volumeId, snapshotId, blocks });
    }
  } catch (err) {
    await emu.close();
    process.stderr.write(`snapscan emulator: ${(err as Error).message}\n`);
    return 1;
  }
  const instanceId = emu.addInstance({
    volumes: served.map((s) => ({ volumeId: s.volumeId, device: s.device })),
  });
  // Snapshots created from now on (scan --instance) stay pending for this many describes.
  if (pendingDescribes !== undefined) emu.configure({ pendingDescribes });
  const env = {
    AWS_ENDPOINT_URL: emu.endpoint,
    AWS_REGION: emu.options.region,
    AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
    AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
  };
  if (values.json) {
    process.stdout.write(`${JSON.stringify({ endpoint: emu.endpoint, env, instanceId, volumes: served })}\n`);
  } else {
    const lines = [
      `snapscan emulator listening on ${emu.endpoint} (account ${emu.options.accountId}, ${emu.options.region})`,
      `  export ${Object.entries(env)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}`,
      `  instance ${instanceId}`,
      ...served.map(
        (s) =>
          `  ${s.device}  volume ${s.volumeId}  snapshot ${s.snapshotId}  ${s.blocks} written blocks  ← ${s.image}`,
      ),
      '  (Ctrl-C to stop)',
    ];
    process.stdout.write(`${lines.join('\n')}\n`);
  }
  await new Promise<void>((resolve) => {
    const stop = () => resolve();
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
  await emu.close();
  process.stderr.write(
    `emulator: requests ${JSON.stringify(emu.counts)} faults ${JSON.stringify(emu.injected)}\n`,
  );
  return 0;
}

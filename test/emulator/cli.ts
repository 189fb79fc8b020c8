/**
 * `snapscan emulator --image disk.img [--image …]` (development only: a checkout's command, absent
 * from the published package, whose tarball holds no test/ code; engine/cli/main.ts loads it from
 * the sources): serves raw images as EBS snapshots over the
 * wire-level AWS emulator (EBS direct, EC2, STS) on loopback, prints the endpoint and the ids it
 * serves, and runs until killed. Each image becomes a volume with a completed snapshot; all volumes
 * are attached to one instance, so `scan --snapshot` and `scan --instance` both have a target.
 */
import path from 'node:path';
import { type CommandSpec, formatHelp, parseCommand, wholeNumber } from '../../engine/cli/args.js';
import { ScanError } from '../../engine/errors.js';
import { EMULATOR_CREDENTIALS, type FaultOptions, startEmulator } from './index.js';

export const options = {
  image: {
    type: 'string',
    multiple: true,
    arg: 'FILE',
    description: 'raw disk image to serve (required; repeat for more)',
  },
  host: { type: 'string', arg: 'HOST', description: 'address to listen on', dflt: '127.0.0.1' },
  port: { type: 'string', arg: 'N', description: 'port to listen on (0: any free port)', dflt: '0' },
  seed: { type: 'string', arg: 'N', description: 'seed of the fault injection (reproducible runs)' },
  'latency-ms': { type: 'string', arg: 'N', description: 'fixed latency added to every request' },
  'throttle-rate': { type: 'string', arg: 'R', description: 'share of requests throttled (0..1)' },
  'error-rate': { type: 'string', arg: 'R', description: 'share of requests answered with a 5xx (0..1)' },
  'reset-rate': { type: 'string', arg: 'R', description: 'share of connections reset (0..1)' },
  'corrupt-rate': { type: 'string', arg: 'R', description: 'share of blocks returned corrupted (0..1)' },
  'truncate-rate': { type: 'string', arg: 'R', description: 'share of blocks returned truncated (0..1)' },
  'pending-describes': {
    type: 'string',
    arg: 'N',
    description: 'snapshots created from now on stay pending for this many describes',
  },
  json: { type: 'boolean', description: 'print endpoint, environment and ids as one JSON line' },
} satisfies CommandSpec;

export const usage = formatHelp(
  'snapscan emulator --image FILE [--image FILE…] [options]',
  'Serve raw images as EBS snapshots over the wire-level AWS emulator (EBS direct, EC2, STS) on\nloopback until killed (development only: absent from the published package).',
  options,
);

function rate(name: string, v: string | undefined): number | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  if (!(n >= 0 && n <= 1))
    throw new ScanError('invalid-argument', `--${name} must be a number in 0..1, got "${v}"`);
  return n;
}

export async function run(argv: string[]): Promise<number> {
  const { values } = parseCommand(argv, options);
  if (values.help) {
    process.stdout.write(usage);
    return 0;
  }
  if (!values.image || values.image.length === 0)
    throw new ScanError('invalid-argument', '--image is required');
  const latency = wholeNumber('latency-ms', values['latency-ms'], 0);
  const faults: FaultOptions = {
    throttleRate: rate('throttle-rate', values['throttle-rate']),
    serverErrorRate: rate('error-rate', values['error-rate']),
    resetRate: rate('reset-rate', values['reset-rate']),
    corruptRate: rate('corrupt-rate', values['corrupt-rate']),
    truncateRate: rate('truncate-rate', values['truncate-rate']),
    ...(latency ? { latency: { kind: 'fixed' as const, ms: latency } } : {}),
  };
  const port = wholeNumber('port', values.port, 0) ?? 0;
  const seed = wholeNumber('seed', values.seed, 0);
  const pendingDescribes = wholeNumber('pending-describes', values['pending-describes'], 0);
  const emu = await startEmulator({
    host: values.host ?? '127.0.0.1',
    port,
    faults,
    ...(seed !== undefined ? { seed } : {}),
  });
  const served: { image: string; device: string; volumeId: string; snapshotId: string; blocks: number }[] =
    [];
  const devices = 'abcdefghijklmnopqrstuvwxyz';
  const images = values.image;
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

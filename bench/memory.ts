/**
 * Issue 11 benchmark: peak RSS per scan kind, each case in its own child process (so peaks do not
 * add up, and the emulator's own memory — it runs in this parent process — is not counted). The
 * child runs the same engine call `snapscan scan` makes (engine/scan/run.ts: piscina scan worker,
 * EBS source, snapshot lifecycle for instances) with OS and language packages (`:os` cases: OS
 * packages only), and reports
 * process.resourceUsage().maxRSS (all threads) at the end.
 *
 * Cases:
 *   image:debian-minbase      the demo Debian 12 cloud disk (88 packages), local file
 *   image:rpm-sqlite-511m     an ext4 disk whose rpmdb.sqlite is a real database made sparse to
 *                             511 MiB (under MAX_RPMDB_BYTES): the issue's 1.15 GB case
 *   image:dpkg-status-16m     an ext4 disk whose dpkg status is just under MAX_DPKG_STATUS_BYTES
 *                             (16 MiB, ~15,000 packages): the largest status a scan parses
 *   image:dpkg-status-96m     the same at 96 MiB (92,108 packages): refused by that limit
 *                             (limit-exceeded), the case that peaked at 1,195 MiB before it
 *   snapshot:debian-minbase   the demo disk as a snapshot through the wire-level emulator
 *   instance:debian-minbase   the demo disk as an instance's volume (snapshot created, read, deleted)
 *   instance:debian-large     the 409-package disk of test/fixtures/debian/build-large.sh, when built
 *                             (needs root and the Debian mirror; cached under .cache/debian-large)
 *
 * usage: npx tsx bench/memory.ts [--build-large] [CASE...]
 */
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { rawImagePath } from '../engine/cli/image.js';
import { runScans } from '../engine/scan/run.js';
import { EMULATOR_CREDENTIALS, startEmulator } from '../test/emulator/index.js';
import { REPO_ROOT, TEST_CACHE } from '../test/helpers/paths.js';
import { minimalPackage } from '../test/readers/pkgdb/rpm/builders.js';

const SELF = fileURLToPath(import.meta.url);
const MiB = 1024 * 1024;

type Target =
  | { kind: 'image'; path: string }
  | { kind: 'snapshot'; id: string }
  | { kind: 'instance'; id: string };

interface ChildResult {
  maxRssMiB: number;
  packages: number;
  state: string;
  wallMs: number;
  /** GetSnapshotBlock calls (snapshot and instance cases). */
  getCalls?: number;
  error?: string;
}

type Kinds = Array<'os' | 'lang'>;

async function child(target: Target, endpoint: string | undefined, packages: Kinds): Promise<void> {
  const t0 = performance.now();
  const aws = endpoint ? { endpoint, region: 'us-east-1' } : undefined;
  const [res] = await runScans({
    ...(target.kind === 'image' ? { images: [target.path] } : {}),
    ...(target.kind === 'snapshot' ? { snapshots: [target.id] } : {}),
    ...(target.kind === 'instance' ? { instances: [target.id], snapshotWait: { pollIntervalMs: 5 } } : {}),
    ...(aws ? { aws } : {}),
    packages,
  });
  const out: ChildResult = {
    maxRssMiB: process.resourceUsage().maxRSS / 1024,
    packages: res?.inventory?.packages.length ?? 0,
    state: res?.inventory?.status.state ?? 'error',
    wallMs: performance.now() - t0,
    ...(res?.inventory?.stats.ebs ? { getCalls: res.inventory.stats.ebs.getCalls } : {}),
    ...(res?.error ? { error: res.error.message } : {}),
  };
  process.stdout.write(`${JSON.stringify(out)}\n`);
}

function runChild(target: Target, endpoint: string | undefined, packages: Kinds): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(
      process.execPath,
      [...process.execArgv, SELF, '--child', JSON.stringify({ target, endpoint, packages })],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env: {
          ...process.env,
          AWS_ACCESS_KEY_ID: EMULATOR_CREDENTIALS.accessKeyId,
          AWS_SECRET_ACCESS_KEY: EMULATOR_CREDENTIALS.secretAccessKey,
          AWS_REGION: 'us-east-1',
        },
      },
    );
    let out = '';
    p.stdout.on('data', (d) => {
      out += d;
    });
    p.on('error', reject);
    p.on('close', (code) => {
      const line = out.trim().split('\n').pop() ?? '';
      try {
        resolve(JSON.parse(line) as ChildResult);
      } catch {
        reject(new Error(`case child exited ${code}: ${out.slice(-400)}`));
      }
    });
  });
}

/**
 * A bare ext4 disk holding an AlmaLinux os-release and a real sqlite rpmdb (300 packages built by
 * test/readers/pkgdb/rpm/builders.ts) extended to 511 MiB with a hole; mkfs.ext4 -d keeps the hole.
 */
function buildRpmSqliteImage(dir: string): string {
  const img = join(dir, 'rpm-sqlite-511m.img');
  if (existsSync(img)) return img;
  const root = join(dir, 'rpm-sqlite-root');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'var/lib/rpm'), { recursive: true });
  writeFileSync(
    join(root, 'etc/os-release'),
    'NAME="AlmaLinux"\nID="almalinux"\nVERSION_ID="9.4"\nID_LIKE="rhel centos fedora"\n',
  );
  const dbPath = join(root, 'var/lib/rpm/rpmdb.sqlite');
  const db = new Database(dbPath);
  db.exec('CREATE TABLE Packages (hnum INTEGER PRIMARY KEY AUTOINCREMENT, blob BLOB NOT NULL)');
  const ins = db.prepare('INSERT INTO Packages (blob) VALUES (?)');
  for (let i = 0; i < 300; i++) ins.run(minimalPackage(`pkg-${String(i).padStart(3, '0')}`));
  db.close();
  truncateSync(dbPath, 511 * MiB);
  const tmp = `${img}.tmp`;
  rmSync(tmp, { force: true });
  execFileSync('mkfs.ext4', ['-q', '-F', '-b', '4096', '-d', root, tmp, String(768 * 256)], {
    env: { ...process.env, E2FSPROGS_FAKE_TIME: '1700000000', PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
  });
  execFileSync('mv', [tmp, img]);
  return img;
}

/**
 * A bare ext4 disk whose /var/lib/dpkg/status is `mib` MiB (less one stanza): the stanzas of
 * test/fuzz/corpus/dpkg-status repeated under distinct names (~960 packages per MiB).
 */
function buildDpkgStatusImage(dir: string, mib: number): string {
  const img = join(dir, `dpkg-status-${mib}m.img`);
  if (existsSync(img)) return img;
  const root = join(dir, 'dpkg-status-root');
  rmSync(root, { recursive: true, force: true });
  mkdirSync(join(root, 'etc'), { recursive: true });
  mkdirSync(join(root, 'var/lib/dpkg'), { recursive: true });
  writeFileSync(
    join(root, 'etc/os-release'),
    'PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n',
  );
  const stanzas = readFileSync(join(REPO_ROOT, 'test/fuzz/corpus/dpkg-status'), 'utf8').trim().split('\n\n');
  const parts: string[] = [];
  let bytes = 0;
  for (let i = 0; ; i++) {
    const s = stanzas[i % stanzas.length]!.replace(/^Package: (\S+)/m, `Package: $1-${i}`);
    if (bytes + Buffer.byteLength(s) + 2 > mib * MiB) break;
    parts.push(s);
    bytes += Buffer.byteLength(s) + 2;
  }
  writeFileSync(join(root, 'var/lib/dpkg/status'), `${parts.join('\n\n')}\n`);
  const tmp = `${img}.tmp`;
  rmSync(tmp, { force: true });
  execFileSync('mkfs.ext4', ['-q', '-F', '-b', '4096', '-d', root, tmp, String(256 * 256)], {
    env: { ...process.env, E2FSPROGS_FAKE_TIME: '1700000000', PATH: `${process.env.PATH}:/usr/sbin:/sbin` },
  });
  execFileSync('mv', [tmp, img]);
  rmSync(root, { recursive: true, force: true });
  return img;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const ci = args.indexOf('--child');
  if (ci >= 0) {
    const { target, endpoint, packages } = JSON.parse(args[ci + 1]!) as {
      target: Target;
      endpoint?: string;
      packages: Kinds;
    };
    await child(target, endpoint, packages);
    return;
  }
  const buildLarge = args.includes('--build-large');
  const wanted = args.filter((a) => !a.startsWith('--'));
  const dir = join(TEST_CACHE, 'bench-memory');
  mkdirSync(dir, { recursive: true });
  const debian = await rawImagePath(join(REPO_ROOT, 'test/fixtures/demo/debian-12-cloud.img.gz'));
  const largeDir = join(TEST_CACHE, 'debian-large');
  let large: string | undefined = join(largeDir, 'gpt-cloud-large.img');
  if (!existsSync(large) && buildLarge) {
    execFileSync('bash', [join(REPO_ROOT, 'test/fixtures/debian/build-large.sh'), largeDir], {
      stdio: 'inherit',
    });
  }
  if (!existsSync(large)) large = undefined;
  const emu = await startEmulator({ seed: 1 });
  const volDebian = await emu.addVolume({ imagePath: debian });
  const volLarge = large ? await emu.addVolume({ imagePath: large }) : undefined;
  const cases: Array<{ name: string; target: () => Target; packages?: Kinds }> = [
    { name: 'image:debian-minbase', target: () => ({ kind: 'image', path: debian }) },
    { name: 'image:rpm-sqlite-511m', target: () => ({ kind: 'image', path: buildRpmSqliteImage(dir) }) },
    { name: 'image:dpkg-status-16m', target: () => ({ kind: 'image', path: buildDpkgStatusImage(dir, 16) }) },
    { name: 'image:dpkg-status-96m', target: () => ({ kind: 'image', path: buildDpkgStatusImage(dir, 96) }) },
    { name: 'snapshot:debian-minbase', target: () => ({ kind: 'snapshot', id: emu.addSnapshot(volDebian) }) },
    {
      name: 'instance:debian-minbase',
      target: () => ({
        kind: 'instance',
        id: emu.addInstance({ volumes: [{ volumeId: volDebian, device: '/dev/xvda' }] }),
      }),
    },
  ];
  if (volLarge) {
    const instance = (): Target => ({
      kind: 'instance',
      id: emu.addInstance({ volumes: [{ volumeId: volLarge, device: '/dev/xvda' }] }),
    });
    cases.push({ name: 'instance:debian-large:os', target: instance, packages: ['os'] });
    cases.push({ name: 'instance:debian-large', target: instance });
  } else {
    console.log(
      '(instance:debian-large skipped: run with --build-large, or test/fixtures/debian/build-large.sh .cache/debian-large)',
    );
  }
  console.log('case                       peak RSS MiB   packages  state      wall ms  GetSnapshotBlock');
  try {
    for (const c of cases) {
      if (wanted.length && !wanted.includes(c.name)) continue;
      const r = await runChild(c.target(), emu.endpoint, c.packages ?? ['os', 'lang']);
      console.log(
        `${c.name.padEnd(26)} ${r.maxRssMiB.toFixed(0).padStart(12)} ${String(r.packages).padStart(10)}  ${r.state.padEnd(8)} ${r.wallMs.toFixed(0).padStart(8)}  ${String(r.getCalls ?? '-').padStart(16)}${r.error ? `  error: ${r.error}` : ''}`,
      );
    }
  } finally {
    await emu.close();
  }
}

await main();

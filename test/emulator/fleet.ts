/**
 * A fleet scenario for scheduler tests and benches: ~50 EC2 instances in the emulator, each with one
 * root volume backed by one of three real disk images, shared by path (the emulator opens each image
 * once, so 50 instances cost three files):
 *   debian-12    Debian bookworm minbase, cloud GPT + ext4 (test/helpers/debian-images.ts);
 *                packages: dpkg-query's own listing of the same root (the oracle)
 *   almalinux-9  the AlmaLinux 9.0 demo disk, GPT + XFS + sqlite rpmdb (test/fixtures/demo);
 *                packages: alma9-packages.tsv, the list gen-alma.sh builds the rpm database from
 *   al2023       the Amazon-Linux-2023-like disk of issue 4, GPT 4Kn + XFS (test/helpers/disk-builder.ts);
 *                packages: `rpm -qa` over the very rpmdb.sqlite the disk carries
 * SSM inventories are built from the same package lists (services/ssm.ts applicationEntries), so an
 * instance evaluated from its inventory and one scanned from its snapshot can be compared.
 *
 * Roles (one per instance; `mix` sets how many of each, DEFAULT_FLEET_MIX sums to 50):
 *   ssm-fresh            agent Online, AWS:Application inventory captured 1 h ago
 *   ssm-stale            agent Online, inventory 3 days old
 *   ssm-no-inventory     agent Online, inventory never ran
 *   ssm-connection-lost  agent ConnectionLost (inventory 1 h old but the agent is gone)
 *   unmanaged            no SSM agent
 *   excluded-snapscan    tag snapscan:exclude=true
 *   excluded-inspector   tag InspectorEc2Exclusion=true (Amazon Inspector's own exclusion tag)
 *   stopped, terminated  instance states
 *   backup-recent        a completed AWS Backup snapshot of the root volume, 2 h old (reuse it)
 *   backup-old           a completed DLM snapshot, 3 days old (too old to reuse)
 *   kms-denied           root volume encrypted with a key the scanner may not use
 * Images cycle debian → almalinux → al2023 over the instances of each role (those available).
 */
import { execFileSync } from 'node:child_process';
import {
  createReadStream,
  createWriteStream,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { debianImages } from '../helpers/debian-images.js';
import { buildIssue4Images, haveTools, RPM_SQLITE } from '../helpers/disk-builder.js';
import { HAVE_SHARED, REPO_ROOT, TEST_CACHE } from '../helpers/paths.js';
import type { Emulator } from './server.js';
import { applicationEntries, type InventoryPackage } from './services/ssm.js';

export type FleetRole =
  | 'ssm-fresh'
  | 'ssm-stale'
  | 'ssm-no-inventory'
  | 'ssm-connection-lost'
  | 'unmanaged'
  | 'excluded-snapscan'
  | 'excluded-inspector'
  | 'stopped'
  | 'terminated'
  | 'backup-recent'
  | 'backup-old'
  | 'kms-denied';

export const DEFAULT_FLEET_MIX: Record<FleetRole, number> = {
  'ssm-fresh': 10,
  'ssm-stale': 5,
  'ssm-no-inventory': 4,
  'ssm-connection-lost': 3,
  unmanaged: 8,
  'excluded-snapscan': 3,
  'excluded-inspector': 2,
  stopped: 3,
  terminated: 3,
  'backup-recent': 4,
  'backup-old': 2,
  'kms-denied': 3,
};

export type FleetImageId = 'debian-12' | 'almalinux-9' | 'al2023';

export interface FleetImage {
  id: FleetImageId;
  path: string;
  manager: 'dpkg' | 'rpm';
  /** As the SSM agent reports the platform. */
  platformName: string;
  platformVersion: string;
  /** The packages installed on the disk (what an inventory of it must find). */
  packages: InventoryPackage[];
}

export interface FleetImages {
  images: FleetImage[];
  /** Why an image is missing (tool, shared fixtures or mirror absent). */
  skipped: Partial<Record<FleetImageId, string>>;
}

export interface FleetInstance {
  instanceId: string;
  role: FleetRole;
  image: FleetImage;
  volumeId: string;
  tags: Record<string, string>;
  /** The backup snapshot made for backup-* roles. */
  backupSnapshotId?: string;
  /** The account it lives in. */
  accountId: string;
  /** CaptureTime of the SSM inventory, when it has one. */
  inventoryCapturedAt?: Date;
}

export interface Fleet {
  instances: FleetInstance[];
  images: FleetImages;
  byRole(role: FleetRole): FleetInstance[];
  get(instanceId: string): FleetInstance;
}

export interface FleetOptions {
  mix?: Partial<Record<FleetRole, number>>;
  /** Clock the inventory ages and backup ages are measured from (default now). */
  now?: Date;
  /** Only these images (default all available). */
  only?: FleetImageId[];
  images?: FleetImages;
  /** Spread the instances over these accounts, round robin (default: the emulator's account). */
  accounts?: string[];
}

const HOUR = 3_600_000;
let cachedImages: FleetImages | undefined;

/** The available fleet images, built once per process (and cached on disk under .cache/). */
export async function fleetImages(): Promise<FleetImages> {
  if (cachedImages) return cachedImages;
  const images: FleetImage[] = [];
  const skipped: FleetImages['skipped'] = {};
  const deb = debianImages();
  if (typeof deb === 'string') skipped['debian-12'] = deb;
  else {
    images.push({
      id: 'debian-12',
      path: join(deb.dir, 'gpt-cloud.img'),
      manager: 'dpkg',
      platformName: 'Debian GNU/Linux',
      platformVersion: '12',
      packages: deb.oracle.map(([name, version, arch]) => ({
        name: name!,
        version: version!,
        arch: arch!,
      })),
    });
  }
  images.push(await almaImage());
  if (!HAVE_SHARED) skipped.al2023 = `../shared/fixtures is missing: no AL2023-like disk in the fleet`;
  else if (!haveTools('mkfs.xfs', 'rpm', 'sgdisk'))
    skipped.al2023 = 'mkfs.xfs, rpm or sgdisk missing: no AL2023-like disk';
  else {
    images.push({
      id: 'al2023',
      path: buildIssue4Images().al2023,
      manager: 'rpm',
      platformName: 'Amazon Linux',
      platformVersion: '2023',
      packages: rpmPackages(RPM_SQLITE),
    });
  }
  cachedImages = { images, skipped };
  return cachedImages;
}

/** The AlmaLinux demo disk, gunzipped once under .cache/fleet/. */
async function almaImage(): Promise<FleetImage> {
  const dir = join(TEST_CACHE, 'fleet');
  const path = join(dir, 'almalinux-9-cloud.img');
  const gz = join(REPO_ROOT, 'test/fixtures/demo/almalinux-9-cloud.img.gz');
  if (!existsSync(path)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${path}.tmp-${process.pid}`;
    await pipeline(createReadStream(gz), createGunzip(), createWriteStream(tmp));
    renameSync(tmp, path);
  }
  return {
    id: 'almalinux-9',
    path,
    manager: 'rpm',
    platformName: 'AlmaLinux',
    platformVersion: '9.0',
    packages: almaPackages(readFileSync(join(REPO_ROOT, 'test/fixtures/demo/alma9-packages.tsv'), 'utf8')),
  };
}

/** source, epoch (- for none), version, release, arch, sub-packages (@ for the source's own name). */
type AlmaRow = [string, string, string, string, string, string];

/** alma9-packages.tsv rows → binary packages, named as gen-alma.sh names the rpmbuild sub-packages. */
export function almaPackages(tsv: string): InventoryPackage[] {
  const out: InventoryPackage[] = [];
  for (const line of tsv.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const [src, epoch, version, release, arch, subs] = line.split('\t') as AlmaRow;
    for (const sub of subs.split(',')) {
      const name = sub === '@' ? src : /^(python3|libcurl)/.test(sub) ? sub : `${src}-${sub}`;
      out.push({
        name,
        version,
        release,
        ...(epoch !== '-' ? { epoch } : {}),
        arch,
        publisher: 'AlmaLinux',
        sourceRpm: `${src}-${version}-${release}.src.rpm`,
      });
    }
  }
  return out;
}

/** `rpm -qa` over a copy of an rpmdb.sqlite (rpm opens it read-write). */
export function rpmPackages(sqlite: string): InventoryPackage[] {
  const dbpath = mkdtempSync(join(tmpdir(), 'snapscan-fleet-rpmdb-'));
  try {
    writeFileSync(join(dbpath, 'rpmdb.sqlite'), readFileSync(sqlite));
    const out = execFileSync(
      'rpm',
      [
        '--dbpath',
        dbpath,
        '-qa',
        '--qf',
        '%{NAME}\t%{EPOCH}\t%{VERSION}\t%{RELEASE}\t%{ARCH}\t%{SOURCERPM}\t%{VENDOR}\n',
      ],
      { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    return out
      .split('\n')
      .filter(Boolean)
      .map((l) => {
        const [name, epoch, version, release, arch, srpm, vendor] = l.split('\t') as string[];
        return {
          name: name!,
          version: version!,
          release: release!,
          ...(epoch !== '(none)' ? { epoch: epoch! } : {}),
          arch: arch!,
          ...(srpm !== '(none)' ? { sourceRpm: srpm! } : {}),
          ...(vendor !== '(none)' ? { publisher: vendor! } : {}),
        };
      })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  } finally {
    rmSync(dbpath, { recursive: true, force: true });
  }
}

/** Declares the fleet in the emulator: volumes, instances, SSM agents and inventories, backups. */
export async function buildFleet(emu: Emulator, o: FleetOptions = {}): Promise<Fleet> {
  const images = o.images ?? (await fleetImages());
  const pool = images.images.filter((i) => !o.only || o.only.includes(i.id));
  if (pool.length === 0) throw new Error(`fleet: no image available (${JSON.stringify(images.skipped)})`);
  const now = o.now ?? new Date();
  const mix = { ...DEFAULT_FLEET_MIX, ...o.mix };
  const instances: FleetInstance[] = [];
  const ssm = emu.services.ssm;
  let n = 0;
  for (const [role, count] of Object.entries(mix) as [FleetRole, number][]) {
    for (let k = 0; k < count; k++) {
      const image = pool[k % pool.length]!;
      const index = n++;
      const tags: Record<string, string> = {
        Name: `fleet-${index}-${role}`,
        'fleet:role': role,
        'fleet:image': image.id,
      };
      if (role === 'excluded-snapscan') tags['snapscan:exclude'] = 'true';
      if (role === 'excluded-inspector') tags.InspectorEc2Exclusion = 'true';
      const accountId = o.accounts?.[index % o.accounts.length] ?? emu.options.accountId;
      const volumeId = await emu.addVolume({
        accountId,
        imagePath: image.path,
        kmsDenied: role === 'kms-denied',
        tags: { Name: `fleet-${index}-root` },
      });
      const instanceId = emu.addInstance({
        volumes: [{ volumeId, device: image.id === 'debian-12' ? '/dev/xvda' : '/dev/sda1' }],
        tags,
        state: role === 'stopped' ? 'stopped' : role === 'terminated' ? 'terminated' : 'running',
        launchTime: new Date(now.getTime() - 30 * 24 * HOUR),
        imageId: `ami-${image.id
          .replace(/[^a-z0-9]/g, '')
          .padEnd(17, '0')
          .slice(0, 17)}`,
      });
      const inst: FleetInstance = { instanceId, role, image, volumeId, tags, accountId };
      if (role.startsWith('ssm-')) {
        ssm.manage(instanceId, {
          platformName: image.platformName,
          platformVersion: image.platformVersion,
          pingStatus: role === 'ssm-connection-lost' ? 'ConnectionLost' : 'Online',
          lastPingDateTime: role === 'ssm-connection-lost' ? new Date(now.getTime() - 26 * HOUR) : now,
        });
        if (role !== 'ssm-no-inventory') {
          const captureTime = new Date(now.getTime() - (role === 'ssm-stale' ? 72 : 1) * HOUR);
          ssm.setInventory(instanceId, {
            captureTime,
            entries: applicationEntries(image.packages, image.manager),
          });
          inst.inventoryCapturedAt = captureTime;
        }
      }
      if (role === 'backup-recent')
        inst.backupSnapshotId = emu.addBackupSnapshot(volumeId, { ageMs: 2 * HOUR, now });
      if (role === 'backup-old')
        inst.backupSnapshotId = emu.addBackupSnapshot(volumeId, { tool: 'dlm', ageMs: 72 * HOUR, now });
      instances.push(inst);
    }
  }
  const byId = new Map(instances.map((i) => [i.instanceId, i]));
  return {
    instances,
    images,
    byRole: (role) => instances.filter((i) => i.role === role),
    get: (id) => {
      const i = byId.get(id);
      if (!i) throw new Error(`fleet: no instance ${id}`);
      return i;
    },
  };
}

/**
 * Scan outcome: turns what the pipeline saw (partition-table errors, per-volume filesystem and OS
 * results, per-file issues) into `complete | partial | failed` with reasons, per volume and
 * overall. One place decides, so the CLI exit code, the JSON inventory and the scheduler's coverage
 * report can never disagree.
 *
 *   failed    nothing usable was read: the partition table failed, or no volume carried a
 *             filesystem snapscan could read (empty file, zeros, zeroed superblock, bad magic…)
 *   partial   something was read, something was not: every reason says what and where
 *   complete  every volume that should hold a filesystem was read, an OS was identified and its
 *             package database found, and no structure on the way was corrupt
 */
import type { SerializedError } from '../errors.js';
import type {
  OutcomeCode,
  OutcomeReason,
  OutcomeState,
  ScanIssue,
  ScanStatus,
  VolumeStatus,
} from '../model/scan-status.js';
import { worstState } from '../model/scan-status.js';
import type { VolumeReport } from './types.js';

/**
 * GPT type GUIDs and MBR type bytes of partitions that never hold a filesystem with an OS or
 * packages snapscan reads (boot loader stages, EFI system partitions in FAT, swap, reserved areas):
 * finding no filesystem there is expected, not a problem.
 * Sources: UEFI 2.10 §5.3.3 table 5.7, the Discoverable Partitions Specification (uapi-group.org),
 * and the Linux fdisk type list (util-linux include/pt-mbr-partnames.h).
 */
const NO_FILESYSTEM_TYPES: ReadonlySet<string> = new Set([
  'c12a7328-f81f-11d2-ba4b-00a0c93ec93b', // EFI System Partition (FAT)
  '21686148-6449-6e6f-744e-656564454649', // BIOS boot partition (GRUB core.img)
  '0657fd6d-a4ab-43c4-84e5-0933c84b4f4f', // Linux swap
  'e3c9e316-0b5c-4db8-817d-f92df00215ae', // Microsoft reserved
  '9e1a2d38-c612-4316-aa26-8b49521e5a8b', // PReP boot
  'bc13c2ff-59e6-4262-a352-b275fd6f7172', // Linux extended boot (XBOOTLDR, FAT)
  '0x00', // MBR: empty slot
  '0x82', // MBR: Linux swap
  '0xef', // MBR: EFI System Partition
]);

/**
 * Partitions typed for Linux data: a missing or unreadable filesystem there is a damaged volume
 * (`filesystem-unreadable`); on any other type it is a filesystem snapscan does not read
 * (`unsupported-filesystem`).
 */
const LINUX_DATA_TYPES: ReadonlySet<string> = new Set([
  '0fc63daf-8483-4772-8e79-3d69d8477de4', // Linux filesystem data
  'e6d6d379-f507-44c2-a23c-238f2a3df928', // Linux LVM (a PV label is expected)
  '4f68bce3-e8cd-4db1-96e7-fbcaf984b709', // root (x86-64)
  '44479540-f297-41b2-9af7-d131d5f0458a', // root (x86)
  'b921b045-1df0-41c3-af44-4c6f280d3fae', // root (arm64)
  '8484680c-9521-48c6-9c11-b0720656f69e', // /usr (x86-64)
  'b0e01050-ee5f-4390-949a-9101b17104e9', // /usr (arm64)
  '4d21b016-b534-45c2-a9fb-5c16e091fd2d', // /var
  '933ac7e1-2eb4-4f13-b844-0e14e2aef915', // /home
  '3b8f8425-20e0-4f3b-907f-1a25a76f98e8', // /srv
  'a19d880f-05fc-4d3b-a006-743f0f84911e', // Linux RAID
  '0x83', // MBR: Linux
  '0x8e', // MBR: Linux LVM
  '0xfd', // MBR: Linux RAID autodetect
]);

export type VolumeKind = 'no-filesystem-expected' | 'linux-data' | 'other';

export function volumeKind(p: VolumeReport['partition']): VolumeKind {
  // A bare filesystem disk and an LVM logical volume exist only to hold a filesystem.
  if (p.scheme === 'none' || p.scheme === 'lvm2') return 'linux-data';
  const t = p.type.toLowerCase();
  if (NO_FILESYSTEM_TYPES.has(t)) return 'no-filesystem-expected';
  if (LINUX_DATA_TYPES.has(t)) return 'linux-data';
  return 'other';
}

/** Why a volume on which no filesystem was recognised is not read. */
export function noFilesystemReason(
  part: { scheme: string; number: number; start: bigint; type: string },
  volume: string,
  kind: VolumeKind,
): OutcomeReason {
  const offset = `0x${part.start.toString(16)}`;
  if (part.scheme === 'none')
    return {
      code: 'no-volume-recognised',
      volume,
      offset,
      message:
        'no partition table (GPT, MBR) and no filesystem (ext4, XFS) or LVM2 label recognised: all zeros, empty, or damaged at its first sectors',
    };
  const structure = `${part.scheme} partition ${part.number} (type ${part.type})`;
  return kind === 'linux-data'
    ? {
        code: 'filesystem-unreadable',
        volume,
        structure,
        offset,
        message: 'no ext4 or XFS superblock (or LVM2 label) on a partition typed for Linux data',
      }
    : {
        code: 'unsupported-filesystem',
        volume,
        structure,
        offset,
        message: 'no filesystem snapscan reads (ext4, XFS) on this partition',
      };
}

/** Which outcome reason an error stands for, in the stage it happened (fallback). */
export function reasonCodeFor(err: SerializedError, fallback: OutcomeCode): OutcomeCode {
  switch (err.code) {
    case 'aborted':
      return 'aborted';
    case 'limit-exceeded':
      return 'limit-exceeded';
    case 'source-error':
    case 'checksum-mismatch':
    case 'truncated-block':
    case 'kms-access-denied':
    case 'aws-error':
      return 'read-error';
    default:
      return fallback;
  }
}

/** A reason from an error: the structure and offset come from the error when it has them. */
export function reasonFromError(
  err: SerializedError,
  fallback: OutcomeCode,
  where: { volume?: string; structure?: string } = {},
): OutcomeReason {
  const structure = err.format && err.struct ? `${err.format} ${err.struct}` : (where.structure ?? err.path);
  return {
    code: reasonCodeFor(err, fallback),
    ...(where.volume !== undefined ? { volume: where.volume } : {}),
    ...(structure !== undefined ? { structure } : {}),
    ...(err.offset !== undefined ? { offset: err.offset } : {}),
    message: err.message,
  };
}

/** The stage of an issue decides its reason when its error code does not (cataloger ids: corrupt). */
export function reasonFromIssue(issue: ScanIssue, volume?: string): OutcomeReason {
  const fallback: OutcomeCode =
    issue.stage === 'partition'
      ? 'partition-table-damaged'
      : issue.stage === 'filesystem'
        ? 'filesystem-unreadable'
        : 'corrupt-structure';
  // location is `vid:fstype:/path` below the filesystem level; keep the path as the structure.
  const path = issue.location.includes(':/')
    ? issue.location.slice(issue.location.indexOf(':/') + 1)
    : undefined;
  return reasonFromError(issue.error, fallback, {
    ...(volume !== undefined ? { volume } : {}),
    ...(path !== undefined ? { structure: path } : {}),
  });
}

/** The state a list of reasons implies for a volume that was read (failed is decided by the caller). */
export function stateOf(reasons: readonly OutcomeReason[]): OutcomeState {
  return reasons.length === 0 ? 'complete' : 'partial';
}

/**
 * The overall outcome of one disk (or of several, merged: an instance) from its volume reports and
 * the reasons found above the volumes (partition table). `tableFailed`: no table could be read at
 * all, so no volume was even listed.
 */
export function overallStatus(
  volumes: readonly VolumeReport[],
  diskReasons: readonly OutcomeReason[],
  issues: ScanIssue[],
  opts: { tableFailed?: boolean; disk?: string } = {},
): ScanStatus {
  const reasons: OutcomeReason[] = [...diskReasons];
  let state: OutcomeState = 'complete';
  for (const v of volumes) {
    reasons.push(...v.status.reasons);
    // A failed volume beside readable ones makes the disk partial; failed alone is decided below.
    state = worstState(state, v.status.state === 'complete' ? 'complete' : 'partial');
  }
  if (diskReasons.length > 0) state = worstState(state, 'partial');
  const readable = volumes.filter((v) => v.filesystem !== undefined && v.status.state !== 'failed');
  if (opts.tableFailed) {
    state = 'failed';
  } else if (readable.length === 0) {
    state = 'failed';
    // Only when no volume already says why (every volume was a boot/ESP/swap area, or none listed).
    if (reasons.length === 0) {
      reasons.push({
        code: 'no-volume-recognised',
        ...(opts.disk !== undefined ? { structure: opts.disk } : {}),
        message:
          volumes.length === 0
            ? 'no partition table and no volume found'
            : `no partition table or filesystem recognised on ${volumes.length} volume(s): nothing was read`,
      });
    }
  } else if (!volumes.some((v) => v.os)) {
    state = worstState(state, 'partial');
    reasons.push({
      code: 'no-os-identified',
      message: `no OS release file identified an OS on ${readable.length} readable filesystem(s)`,
    });
  }
  return { state, reasons, issues };
}

/**
 * The status of several disks of one resource (an instance's volumes), recomputed over all their
 * volumes: one volume with an OS is enough for "OS identified" (a data volume beside the root is no
 * missing OS), and one unreadable disk beside a readable one makes the resource partial, not failed.
 * `volumes` are the merged volume reports (their reasons already name the disk).
 */
export function mergeStatuses(
  parts: ReadonlyArray<{ label: string; status: ScanStatus }>,
  volumes: readonly VolumeReport[],
): ScanStatus {
  const diskReasons: OutcomeReason[] = [];
  const issues: ScanIssue[] = [];
  for (const p of parts) {
    for (const r of p.status.reasons) {
      // Volume reasons come with the volumes; "no OS" is decided again over all disks.
      if (r.volume !== undefined || r.code === 'no-os-identified') continue;
      diskReasons.push({ ...r, volume: p.label });
    }
    for (const i of p.status.issues) issues.push({ ...i, location: `${p.label}:${i.location}` });
  }
  return overallStatus(volumes, diskReasons, issues);
}

/** One line per reason, for stderr: `partial: p1: corrupt-structure: ext4 inode at 0x…: …`. */
export function reasonLine(r: OutcomeReason): string {
  const where = [r.volume, r.structure && !r.message.includes(r.structure) ? r.structure : undefined]
    .filter(Boolean)
    .join(' ');
  return `${r.code}${where ? ` (${where})` : ''}: ${r.message}`;
}

export type { VolumeStatus };

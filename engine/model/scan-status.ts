/**
 * The outcome of a scan, per volume and overall. A scan never ends "empty and fine": either it
 * read everything it needed (`complete`), or it kept what it could read and says what it could not
 * (`partial`), or it read nothing usable (`failed`) — each with reasons naming the structure and the
 * offset. Plain data, JSON-serialisable; consumers (CLI exit codes, the scheduler's coverage
 * report) switch on `state` and on the reason `code`, never on message text.
 */
import type { SerializedError } from '../errors.js';

/** A problem that did not stop the scan: kept with the partial result, never dropped. */
export interface ScanIssue {
  /** pipeline stage: partition, filesystem, os, cataloger id… */
  stage: string;
  /** Where: `p2:ext4:/var/lib/dpkg/status` */
  location: string;
  error: SerializedError;
}

export type OutcomeState = 'complete' | 'partial' | 'failed';

/** Every reason a scan (or one volume of it) is not `complete`. Kebab-case, stable. */
export const OUTCOME_CODES = [
  /** No partition table and no filesystem recognised anywhere on the disk (zeros, empty file…). */
  'no-volume-recognised',
  /** A volume holds a filesystem snapscan does not read (or none it recognises, on a non-Linux type). */
  'unsupported-filesystem',
  /** The partition table (GPT, MBR, LVM2 label or metadata) is damaged: some volumes may be missing. */
  'partition-table-damaged',
  /** A volume typed for Linux data (or the whole disk) carries no readable filesystem. */
  'filesystem-unreadable',
  /** Filesystems were read but no release file identified an OS on any of them. */
  'no-os-identified',
  /** An OS was identified but none of its package databases was found. */
  'no-package-database',
  /** A structure on the path to a package database, or in it, is corrupt (records may be missing). */
  'corrupt-structure',
  /** The block source failed to deliver bytes (I/O error, EBS API error). */
  'read-error',
  /** A hard limit (engine/limits.ts) stopped the reading of a structure. */
  'limit-exceeded',
  /** The scan was cancelled before it finished. */
  'aborted',
] as const;

export type OutcomeCode = (typeof OUTCOME_CODES)[number];

export interface OutcomeReason {
  code: OutcomeCode;
  /** Volume id (`p1`, `lvm:vg0/root`, `disk`), prefixed with the EBS volume on instance scans. */
  volume?: string;
  /** The structure concerned: `gpt header`, `ext4 superblock`, `/var/lib/dpkg/status`… */
  structure?: string;
  /** Absolute byte offset, as `0x…` hex. */
  offset?: string;
  message: string;
}

export interface ScanStatus {
  state: OutcomeState;
  reasons: OutcomeReason[];
  issues: ScanIssue[];
}

export interface VolumeStatus {
  state: OutcomeState;
  reasons: OutcomeReason[];
}

const RANK: Record<OutcomeState, number> = { complete: 0, partial: 1, failed: 2 };

/** The worse of two states. */
export function worstState(a: OutcomeState, b: OutcomeState): OutcomeState {
  return RANK[a] >= RANK[b] ? a : b;
}

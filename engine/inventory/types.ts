/**
 * The inventory: what is installed on one resource (an image, a snapshot, an instance), volume by
 * volume. Plain data, JSON-serialisable, deterministic (packages sorted).
 */
import type { OsInfo } from '../model/os.js';
import type { Package } from '../model/package.js';
import type { ScanStatus, VolumeStatus } from '../model/scan-status.js';

/** 2.0: status.state ok → complete, status.reasons and per-volume status added. */
export const INVENTORY_SCHEMA_VERSION = '2.0';

export interface ResourceRef {
  type: 'image' | 'snapshot' | 'instance' | 'volume';
  id: string;
  /** EC2 account, region, volume id, device name where known. */
  accountId?: string;
  region?: string;
  volumeId?: string;
  device?: string;
}

export interface VolumeReport {
  /** Stable id within the resource: `p1`, `p5`, `lvm:vg0/root`, `disk` for a bare filesystem. */
  id: string;
  /** Which EBS volume / image the volume is on, when a resource has several. */
  source?: string;
  partition: {
    scheme: string;
    number: number;
    start: string;
    size: string;
    type: string;
    name?: string;
    uuid?: string;
  };
  filesystem?: { type: string; uuid: string; label: string };
  os?: OsInfo;
  packageCount: number;
  /** This volume's outcome: `failed` when its filesystem could not be read, with the reasons. */
  status: VolumeStatus;
}

export interface ScanFigures {
  reads: number;
  bytesRead: number;
  /** Distinct 512 KiB blocks touched (what an EBS snapshot read would fetch). */
  distinctBlocks: number;
  wallMs: number;
  /** EBS API figures when read through EBS direct. */
  ebs?: Record<string, number>;
  /**
   * The language walk's figures when it ran (readers/lang-walk.ts LangWalkResult.walk): entries,
   * wanted files, bytes read, executables kept by mode / owned by an OS package (not read) /
   * probed (first bytes read) / opened (ELF, PE, Mach-O).
   */
  lang?: Record<string, number>;
}

export interface Inventory {
  schemaVersion: string;
  tool: { name: string; version: string };
  resource: ResourceRef;
  scannedAt: string;
  /** The OS of the volume that holds the root filesystem (first volume with an OS). */
  os?: OsInfo;
  volumes: VolumeReport[];
  packages: Package[];
  status: ScanStatus;
  stats: ScanFigures;
}

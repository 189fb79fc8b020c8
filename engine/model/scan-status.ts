import type { SerializedError } from '../errors.js';

/** A problem that did not stop the scan: kept with the partial result, never dropped. */
export interface ScanIssue {
  /** pipeline stage: partition, filesystem, os, cataloger id… */
  stage: string;
  /** Where: `p2:ext4:/var/lib/dpkg/status` */
  location: string;
  error: SerializedError;
}

export interface ScanStatus {
  state: 'ok' | 'partial' | 'failed';
  issues: ScanIssue[];
}

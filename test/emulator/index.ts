/** Wire-level AWS emulator for tests, benches and `snapscan emulator`. See server.ts and services/. */
export { DEFAULT_FAULT_ACTIONS, type FaultOptions, type LatencySpec } from './faults.js';
export {
  EMULATOR_BLOCK_BYTES,
  Emulator,
  type EmulatorOptions,
  type InstanceRecord,
  type InstanceSpec,
  type InstanceStateName,
  type RequestHook,
  type SnapshotRecord,
  type SnapshotState,
  startEmulator,
  type VolumeRecord,
  type VolumeSpec,
} from './server.js';

/** Static credentials the SDK signs with; the emulator does not check signatures. */
export const EMULATOR_CREDENTIALS = { accessKeyId: 'AKIAEMULATOR', secretAccessKey: 'emulator-secret' };

/**
 * The emulated services, in routing order for REST requests (EBS's /snapshots/… paths before S3's
 * path-style catch-all). Adding a service: one file in this folder implementing EmulatorService, and
 * one line here; tests reach its state as `emu.services.<key>`.
 */
import type { Emulator } from '../server.js';
import { EbsService } from './ebs.js';
import { Ec2Service } from './ec2.js';
import { StsService } from './sts.js';

export const SERVICES = {
  ebs: (emu: Emulator) => new EbsService(emu),
  ec2: (emu: Emulator) => new Ec2Service(emu),
  sts: (emu: Emulator) => new StsService(emu),
};

export type Services = { [K in keyof typeof SERVICES]: ReturnType<(typeof SERVICES)[K]> };
export type { EmulatorCall, EmulatorService, FaultReplies, RestMatch } from './types.js';

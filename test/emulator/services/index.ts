/**
 * The emulated services, in routing order for REST requests (EBS's /snapshots/… paths before S3's
 * path-style catch-all). Adding a service: one file in this folder implementing EmulatorService, and
 * one line here; tests reach its state as `emu.services.<key>`.
 */
import type { Emulator } from '../server.js';
import { EbsService } from './ebs.js';
import { Ec2Service } from './ec2.js';
import { EventsService } from './events.js';
import { OrganizationsService } from './organizations.js';
import { S3Service } from './s3.js';
import { SqsService } from './sqs.js';
import { SsmService } from './ssm.js';
import { StsService } from './sts.js';

export const SERVICES = {
  ebs: (emu: Emulator) => new EbsService(emu),
  ec2: (emu: Emulator) => new Ec2Service(emu),
  sts: (emu: Emulator) => new StsService(emu),
  ssm: (emu: Emulator) => new SsmService(emu),
  events: (emu: Emulator) => new EventsService(emu),
  sqs: (emu: Emulator) => new SqsService(emu),
  organizations: (emu: Emulator) => new OrganizationsService(emu),
  // Last: S3 path-style takes any REST request the services above did not claim.
  s3: (emu: Emulator) => new S3Service(emu),
};

export type Services = { [K in keyof typeof SERVICES]: ReturnType<(typeof SERVICES)[K]> };
export type { EmulatorCall, EmulatorService, FaultReplies, RestMatch } from './types.js';

/**
 * STS Query API (POST /, `Action=…`, awsQuery XML, API 2011-06-15): GetCallerIdentity.
 * https://docs.aws.amazon.com/STS/latest/APIReference/API_GetCallerIdentity.html
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { HttpFault, sendQueryError, sendXml } from '../protocol.js';
import type { Emulator } from '../server.js';
import { document } from '../xml.js';
import type { EmulatorCall, EmulatorService } from './types.js';

const STS_NS = 'https://sts.amazonaws.com/doc/2011-06-15/';

export class StsService implements EmulatorService {
  readonly id = 'sts';
  readonly queryActions = ['GetCallerIdentity'];

  constructor(private readonly emu: Emulator) {}

  readonly faultReplies = {
    throttle: (res: ServerResponse) => sendQueryError(res, 400, 'Throttling', 'Rate exceeded'),
    serverError: (res: ServerResponse) => sendQueryError(res, 500, 'InternalFailure', 'Internal failure'),
  };

  sendFault(call: EmulatorCall, status: number, code: string, message: string): void {
    sendQueryError(call.res, status, code, message);
  }

  async handle(call: EmulatorCall): Promise<void> {
    if (call.action !== 'GetCallerIdentity') throw new HttpFault(400, 'InvalidAction', call.action);
    const account = this.emu.options.accountId;
    const body = document('GetCallerIdentityResponse', STS_NS, {
      GetCallerIdentityResult: {
        Arn: `arn:aws:iam::${account}:user/snapscan-emulator`,
        UserId: 'AIDAEMULATOR',
        Account: account,
      },
      ResponseMetadata: { RequestId: randomUUID() },
    });
    sendXml(call.res, 200, body);
  }
}

/**
 * One emulated AWS service. server.ts routes each request to exactly one service:
 *   1. `X-Amz-Target: Prefix.Operation` (JSON 1.0/1.1 protocols) → the service whose `jsonTargetPrefix`
 *      is `Prefix`;
 *   2. `POST /` with a form body (EC2 Query, AWS Query) → the service listing `Action` in `queryActions`;
 *   3. otherwise (REST protocols) → the first service in registry order whose `restOperation` names an
 *      operation (EBS before S3: S3 path-style takes whatever is left).
 * The server counts the request under its operation name, applies the injected faults (answered
 * with `faultReplies` in the service's own protocol), then calls `handle`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface EmulatorCall {
  req: IncomingMessage;
  res: ServerResponse;
  url: URL;
  /** Operation name (`DescribeInstances`, `PutObject`, …): what `counts` and fault `actions` use. */
  action: string;
  /** Query protocols: the decoded form. */
  form?: URLSearchParams;
  /** JSON protocols: the parsed body. */
  json?: Record<string, unknown>;
  /** Service name from the SigV4 credential scope, when signed. */
  signingService?: string;
  /** The account the request acts as (Emulator.callerOf): whose EC2/EBS/SSM resources it sees. */
  account: string;
}

export interface RestMatch {
  action: string;
  /** Key for fault decisions (same key + attempt → same decision). Default: action and request number. */
  faultKey?: string;
}

export interface FaultReplies {
  /** `pick` is uniform in [0, 1): services with two throttling shapes choose with it. */
  throttle(res: ServerResponse, pick: number): void;
  serverError(res: ServerResponse, pick: number): void;
}

export interface EmulatorService {
  /** Registry key and the name tests reach it by (`emu.services.s3`). */
  readonly id: string;
  readonly queryActions?: readonly string[];
  readonly jsonTargetPrefix?: string;
  /** REST protocols: the operation this request is, or undefined when it is not this service's. */
  restOperation?(req: IncomingMessage, url: URL, signingService: string | undefined): RestMatch | undefined;
  readonly faultReplies: FaultReplies;
  /** Answers the request; may throw HttpFault, which `sendFault` turns into the protocol's error. */
  handle(call: EmulatorCall): Promise<void>;
  sendFault(call: EmulatorCall, status: number, code: string, message: string, reason?: string): void;
}

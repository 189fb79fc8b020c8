/**
 * Amazon EventBridge (JSON 1.1, `X-Amz-Target: AWSEvents.PutEvents`, API 2015-10-07): PutEvents.
 * Limits checked as EventBridge does: 1..10 entries; the request's total entry size at most 256 KiB
 * (each entry: 14 bytes for Time when given, plus the UTF-8 bytes of Source, DetailType, Detail and
 * each Resources element); Source, DetailType and Detail required per entry; Detail a JSON object.
 * A bad entry fails alone (FailedEntryCount, ErrorCode/ErrorMessage in its slot); tests can make
 * chosen entries fail (`failEntries`) to exercise partial-failure retries.
 *
 * https://docs.aws.amazon.com/eventbridge/latest/APIReference/API_PutEvents.html
 * https://docs.aws.amazon.com/eventbridge/latest/userguide/eb-putevent-size.html
 */
import { randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { HttpFault, sendAwsJsonError, sendJson } from '../protocol.js';
import type { Emulator } from '../server.js';
import type { EmulatorCall, EmulatorService } from './types.js';

export const MAX_PUT_EVENTS_ENTRIES = 10;
export const MAX_PUT_EVENTS_BYTES = 256 * 1024;

export interface RecordedEvent {
  eventId: string;
  bus: string;
  source: string;
  detailType: string;
  detail: unknown;
  resources: string[];
  time: Date;
}

interface PutEventsEntry {
  Source?: string;
  DetailType?: string;
  Detail?: string;
  Resources?: string[];
  EventBusName?: string;
  Time?: number;
}

/** The size EventBridge counts for one entry. */
export function putEventsEntrySize(e: PutEventsEntry): number {
  let n = e.Time !== undefined ? 14 : 0;
  for (const s of [e.Source, e.DetailType, e.Detail, ...(e.Resources ?? [])])
    if (s) n += Buffer.byteLength(s, 'utf8');
  return n;
}

export class EventsService implements EmulatorService {
  readonly id = 'events';
  readonly jsonTargetPrefix = 'AWSEvents';
  /** Every accepted event, in order. */
  readonly events: RecordedEvent[] = [];
  private readonly buses = new Set(['default']);
  private failing: {
    match: (e: PutEventsEntry, index: number) => boolean;
    remaining: number;
    code: string;
  }[] = [];

  constructor(private readonly emu: Emulator) {}

  createBus(name: string): void {
    this.buses.add(name);
  }

  /** The next `times` entries matching fail with `code` (default InternalFailure) in the answer. */
  failEntries(
    match: (e: { Source?: string; DetailType?: string; Detail?: string }, index: number) => boolean,
    o: { times?: number; code?: string } = {},
  ): void {
    this.failing.push({
      match,
      remaining: o.times ?? Number.POSITIVE_INFINITY,
      code: o.code ?? 'InternalFailure',
    });
  }

  clearFailures(): void {
    this.failing = [];
  }

  readonly faultReplies = {
    throttle: (res: ServerResponse) => sendAwsJsonError(res, 400, 'ThrottlingException', 'Rate exceeded'),
    serverError: (res: ServerResponse) => sendAwsJsonError(res, 500, 'InternalException', 'Internal error'),
  };

  sendFault(call: EmulatorCall, status: number, code: string, message: string): void {
    sendAwsJsonError(call.res, status, code, message);
  }

  async handle(call: EmulatorCall): Promise<void> {
    if (call.action !== 'PutEvents')
      throw new HttpFault(
        400,
        'UnknownOperationException',
        `${call.action} is not implemented by the emulator`,
      );
    const entries = (call.json?.Entries as PutEventsEntry[] | undefined) ?? [];
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > MAX_PUT_EVENTS_ENTRIES) {
      throw new HttpFault(
        400,
        'ValidationException',
        `1 validation error detected: Value at 'entries' failed to satisfy constraint: Member must have length less than or equal to ${MAX_PUT_EVENTS_ENTRIES}`,
      );
    }
    const total = entries.reduce((n, e) => n + putEventsEntrySize(e), 0);
    if (total > MAX_PUT_EVENTS_BYTES)
      throw new HttpFault(
        400,
        'ValidationException',
        'Total size of the entries in the request is over the limit.',
      );
    let failed = 0;
    const results = entries.map((e, i) => {
      const fail = (ErrorCode: string, ErrorMessage: string) => {
        failed++;
        return { ErrorCode, ErrorMessage };
      };
      if (!e.Source)
        return fail(
          'InvalidArgument',
          'Parameter Source is not valid. Reason: Source is a required argument.',
        );
      if (!e.DetailType)
        return fail(
          'InvalidArgument',
          'Parameter DetailType is not valid. Reason: DetailType is a required argument.',
        );
      if (!e.Detail)
        return fail(
          'InvalidArgument',
          'Parameter Detail is not valid. Reason: Detail is a required argument.',
        );
      let detail: unknown;
      try {
        detail = JSON.parse(e.Detail);
      } catch {
        return fail('MalformedDetail', 'Detail is malformed.');
      }
      if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
        return fail('MalformedDetail', 'Detail is malformed.');
      const bus = busName(e.EventBusName);
      if (!this.buses.has(bus)) return fail('ResourceNotFoundException', `Event bus ${bus} does not exist.`);
      const rule = this.failing.find((f) => f.remaining > 0 && f.match(e, i));
      if (rule) {
        rule.remaining--;
        this.emu.inject('events-entry-fail');
        return fail(rule.code, 'An internal error occurred.');
      }
      const eventId = randomUUID();
      this.events.push({
        eventId,
        bus,
        source: e.Source,
        detailType: e.DetailType,
        detail,
        resources: e.Resources ?? [],
        time: e.Time !== undefined ? new Date(e.Time * 1000) : new Date(),
      });
      return { EventId: eventId };
    });
    sendJson(call.res, 200, { FailedEntryCount: failed, Entries: results }, 'application/x-amz-json-1.1');
  }
}

/** EventBusName may be a name or an ARN (`arn:aws:events:REGION:ACCOUNT:event-bus/NAME`). */
function busName(v: string | undefined): string {
  if (!v) return 'default';
  const m = /:event-bus\/(.+)$/.exec(v);
  return m ? m[1]! : v;
}

/**
 * Amazon SQS, JSON protocol (`X-Amz-Target: AmazonSQS.<Operation>`, JSON 1.0, API 2012-11-05):
 * CreateQueue, GetQueueUrl, SendMessage, SendMessageBatch, ReceiveMessage (visibility timeout, long
 * polling with WaitTimeSeconds, redrive to a dead-letter queue after maxReceiveCount receives),
 * ChangeMessageVisibility, DeleteMessage, DeleteMessageBatch, GetQueueAttributes. Standard queues
 * only. Limits as SQS checks them: 1..10 entries per batch with distinct ids, 1 MiB per message and
 * per batch, MaxNumberOfMessages 1..10, WaitTimeSeconds 0..20, VisibilityTimeout 0..43200 s.
 * MD5OfMessageBody is the hex MD5 of the body (the SDK verifies it). Time comes from `clock`
 * (tests advance it to expire visibility timeouts without waiting).
 *
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_Operations.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-dead-letter-queues.html
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/quotas-messages.html
 */
import { createHash, randomUUID } from 'node:crypto';
import type { ServerResponse } from 'node:http';
import { HttpFault, sendAwsJsonError, sendJson } from '../protocol.js';
import type { Emulator } from '../server.js';
import type { EmulatorCall, EmulatorService } from './types.js';

export const MAX_BATCH_ENTRIES = 10;
export const MAX_MESSAGE_BYTES = 1024 * 1024;
export const MAX_VISIBILITY_S = 43_200;
export const MAX_WAIT_S = 20;

const CONTENT_TYPE = 'application/x-amz-json-1.0';
const ERR = 'com.amazonaws.sqs#';

export interface SqsMessage {
  messageId: string;
  body: string;
  md5: string;
  sentAt: number;
  /** Epoch ms from which it can be received. */
  visibleAt: number;
  receiveCount: number;
  firstReceiveAt?: number;
  /** The handle of the latest receive; older handles no longer change or delete it. */
  receiptHandle?: string;
  /** Set when it was moved here from a source queue by redrive. */
  movedFrom?: string;
}

export interface SqsQueue {
  name: string;
  url: string;
  arn: string;
  visibilityTimeoutS: number;
  retentionS: number;
  delayS: number;
  redrive?: { deadLetterTargetArn: string; maxReceiveCount: number };
  messages: SqsMessage[];
  createdAt: number;
}

const md5 = (s: string) => createHash('md5').update(s, 'utf8').digest('hex');

function intAttr(name: string, v: unknown, min: number, max: number, dflt: number): number {
  if (v === undefined) return dflt;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new HttpFault(400, `${ERR}InvalidAttributeValue`, `Invalid value for the parameter ${name}.`);
  return n;
}

export class SqsService implements EmulatorService {
  readonly id = 'sqs';
  readonly jsonTargetPrefix = 'AmazonSQS';
  /** Epoch ms; tests replace it to move time forward. */
  clock: () => number = () => Date.now();
  private readonly queues = new Map<string, SqsQueue>();

  constructor(private readonly emu: Emulator) {}

  readonly faultReplies = {
    throttle: (res: ServerResponse) =>
      sendAwsJsonError(res, 400, `${ERR}RequestThrottled`, 'Request is throttled.', '1.0'),
    serverError: (res: ServerResponse) =>
      sendAwsJsonError(res, 500, `${ERR}InternalError`, 'We encountered an internal error.', '1.0'),
  };

  sendFault(call: EmulatorCall, status: number, code: string, message: string): void {
    sendAwsJsonError(call.res, status, code.includes('#') ? code : `${ERR}${code}`, message, '1.0');
  }

  /** Test accessors. */
  queue(nameOrUrl: string): SqsQueue | undefined {
    return this.queues.get(nameOrUrl) ?? [...this.queues.values()].find((q) => q.url === nameOrUrl);
  }

  queueNames(): string[] {
    return [...this.queues.keys()];
  }

  async handle(call: EmulatorCall): Promise<void> {
    const j = call.json ?? {};
    const reply = (body: unknown) => sendJson(call.res, 200, body, CONTENT_TYPE);
    switch (call.action) {
      case 'CreateQueue':
        return reply(this.createQueue(j));
      case 'GetQueueUrl': {
        const q = this.queues.get(String(j.QueueName ?? ''));
        if (!q) throw nonExistent();
        return reply({ QueueUrl: q.url });
      }
      case 'SendMessage': {
        const q = this.lookup(j);
        const r = this.enqueue(q, String(j.MessageBody ?? ''), j.DelaySeconds);
        return reply({ MessageId: r.messageId, MD5OfMessageBody: r.md5 });
      }
      case 'SendMessageBatch':
        return reply(this.sendBatch(this.lookup(j), j.Entries));
      case 'ReceiveMessage':
        return reply(await this.receive(this.lookup(j), j, call));
      case 'ChangeMessageVisibility': {
        const q = this.lookup(j);
        const m = this.inflight(q, String(j.ReceiptHandle ?? ''));
        const s = intAttr('VisibilityTimeout', j.VisibilityTimeout, 0, MAX_VISIBILITY_S, 0);
        m.visibleAt = this.clock() + s * 1000;
        return reply({});
      }
      case 'DeleteMessage': {
        const q = this.lookup(j);
        this.remove(q, String(j.ReceiptHandle ?? ''));
        return reply({});
      }
      case 'DeleteMessageBatch':
        return reply(this.deleteBatch(this.lookup(j), j.Entries));
      case 'GetQueueAttributes':
        return reply({ Attributes: this.attributes(this.lookup(j), j.AttributeNames) });
      default:
        throw new HttpFault(
          400,
          `${ERR}UnsupportedOperation`,
          `${call.action} is not implemented by the emulator`,
        );
    }
  }

  private createQueue(j: Record<string, unknown>): { QueueUrl: string } {
    const name = String(j.QueueName ?? '');
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(name))
      throw new HttpFault(
        400,
        `${ERR}InvalidParameterValue`,
        'Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length',
      );
    const a = (j.Attributes ?? {}) as Record<string, string>;
    let redrive: SqsQueue['redrive'];
    if (a.RedrivePolicy !== undefined) {
      let p: { deadLetterTargetArn?: string; maxReceiveCount?: unknown };
      try {
        p = JSON.parse(a.RedrivePolicy);
      } catch {
        throw new HttpFault(
          400,
          `${ERR}InvalidAttributeValue`,
          'Invalid value for the parameter RedrivePolicy.',
        );
      }
      const target = [...this.queues.values()].find((q) => q.arn === p.deadLetterTargetArn);
      if (!target)
        throw new HttpFault(
          400,
          `${ERR}InvalidAttributeValue`,
          'Value for parameter RedrivePolicy is invalid. Reason: Dead-letter target does not exist.',
        );
      redrive = {
        deadLetterTargetArn: target.arn,
        maxReceiveCount: intAttr('maxReceiveCount', p.maxReceiveCount, 1, 1000, 10),
      };
    }
    const spec = {
      visibilityTimeoutS: intAttr('VisibilityTimeout', a.VisibilityTimeout, 0, MAX_VISIBILITY_S, 30),
      retentionS: intAttr('MessageRetentionPeriod', a.MessageRetentionPeriod, 60, 1_209_600, 345_600),
      delayS: intAttr('DelaySeconds', a.DelaySeconds, 0, 900, 0),
    };
    const existing = this.queues.get(name);
    if (existing) {
      const same =
        existing.visibilityTimeoutS === spec.visibilityTimeoutS &&
        existing.retentionS === spec.retentionS &&
        existing.delayS === spec.delayS &&
        JSON.stringify(existing.redrive) === JSON.stringify(redrive);
      if (!same)
        throw new HttpFault(
          400,
          `${ERR}QueueNameExists`,
          'A queue already exists with the same name and a different value for attribute(s)',
        );
      return { QueueUrl: existing.url };
    }
    const { accountId, region } = this.emu.options;
    const q: SqsQueue = {
      name,
      url: `${this.emu.endpoint}/${accountId}/${name}`,
      arn: `arn:aws:sqs:${region}:${accountId}:${name}`,
      ...spec,
      ...(redrive ? { redrive } : {}),
      messages: [],
      createdAt: this.clock(),
    };
    this.queues.set(name, q);
    return { QueueUrl: q.url };
  }

  private lookup(j: Record<string, unknown>): SqsQueue {
    const url = String(j.QueueUrl ?? '');
    const name = url.slice(url.lastIndexOf('/') + 1);
    const q = this.queues.get(name);
    if (!q) throw nonExistent();
    this.expire(q);
    return q;
  }

  private expire(q: SqsQueue): void {
    const cutoff = this.clock() - q.retentionS * 1000;
    if (q.messages.some((m) => m.sentAt < cutoff)) q.messages = q.messages.filter((m) => m.sentAt >= cutoff);
  }

  private enqueue(q: SqsQueue, body: string, delay: unknown): SqsMessage {
    if (body.length === 0)
      throw new HttpFault(
        400,
        `${ERR}MissingParameter`,
        'The request must contain the parameter MessageBody.',
      );
    if (Buffer.byteLength(body, 'utf8') > MAX_MESSAGE_BYTES)
      throw new HttpFault(
        400,
        `${ERR}InvalidParameterValue`,
        `One or more parameters are invalid. Reason: Message must be shorter than ${MAX_MESSAGE_BYTES} bytes.`,
      );
    const now = this.clock();
    const m: SqsMessage = {
      messageId: randomUUID(),
      body,
      md5: md5(body),
      sentAt: now,
      visibleAt: now + intAttr('DelaySeconds', delay, 0, 900, q.delayS) * 1000,
      receiveCount: 0,
    };
    q.messages.push(m);
    return m;
  }

  private sendBatch(q: SqsQueue, raw: unknown) {
    const entries = checkBatch(raw) as { Id: string; MessageBody?: string; DelaySeconds?: number }[];
    const total = entries.reduce((n, e) => n + Buffer.byteLength(e.MessageBody ?? '', 'utf8'), 0);
    if (total > MAX_MESSAGE_BYTES)
      throw new HttpFault(
        400,
        `${ERR}BatchRequestTooLong`,
        `Batch requests cannot be longer than ${MAX_MESSAGE_BYTES} bytes.`,
      );
    const Successful: { Id: string; MessageId: string; MD5OfMessageBody: string }[] = [];
    const Failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
    for (const e of entries) {
      try {
        const m = this.enqueue(q, e.MessageBody ?? '', e.DelaySeconds);
        Successful.push({ Id: e.Id, MessageId: m.messageId, MD5OfMessageBody: m.md5 });
      } catch (err) {
        const f = err as HttpFault;
        Failed.push({ Id: e.Id, SenderFault: true, Code: f.errorCode.replace(ERR, ''), Message: f.message });
      }
    }
    return { Successful, Failed };
  }

  private async receive(q: SqsQueue, j: Record<string, unknown>, call: EmulatorCall) {
    const max = intAttr('MaxNumberOfMessages', j.MaxNumberOfMessages, 1, MAX_BATCH_ENTRIES, 1);
    const wait = intAttr('WaitTimeSeconds', j.WaitTimeSeconds, 0, MAX_WAIT_S, 0);
    const visibility = intAttr(
      'VisibilityTimeout',
      j.VisibilityTimeout,
      0,
      MAX_VISIBILITY_S,
      q.visibilityTimeoutS,
    );
    // Long polling waits in real time (the client's wait), checking the (possibly advanced) clock.
    const deadline = Date.now() + wait * 1000;
    let gone = false;
    call.res.once('close', () => {
      gone = true;
    });
    for (;;) {
      const got = this.take(q, max, visibility);
      if (got.length > 0 || Date.now() >= deadline || gone) {
        return {
          Messages: got.map((m) => ({
            MessageId: m.messageId,
            ReceiptHandle: m.receiptHandle,
            MD5OfBody: m.md5,
            Body: m.body,
            Attributes: {
              ApproximateReceiveCount: String(m.receiveCount),
              SentTimestamp: String(m.sentAt),
              ApproximateFirstReceiveTimestamp: String(m.firstReceiveAt ?? m.sentAt),
            },
          })),
        };
      }
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Visible messages, oldest first; one past maxReceiveCount is moved to the dead-letter queue instead. */
  private take(q: SqsQueue, max: number, visibilityS: number): SqsMessage[] {
    const now = this.clock();
    const out: SqsMessage[] = [];
    for (const m of [...q.messages]) {
      if (out.length >= max) break;
      if (m.visibleAt > now) continue;
      if (q.redrive && m.receiveCount >= q.redrive.maxReceiveCount) {
        const dlq = [...this.queues.values()].find((d) => d.arn === q.redrive!.deadLetterTargetArn);
        q.messages.splice(q.messages.indexOf(m), 1);
        if (dlq) {
          dlq.messages.push({
            messageId: m.messageId,
            body: m.body,
            md5: m.md5,
            sentAt: m.sentAt,
            visibleAt: now,
            receiveCount: 0,
            movedFrom: q.arn,
          });
          this.emu.inject('sqs-redrive');
        }
        continue;
      }
      m.receiveCount++;
      m.firstReceiveAt ??= now;
      m.receiptHandle = `${m.messageId}#${randomUUID()}`;
      m.visibleAt = now + visibilityS * 1000;
      out.push(m);
    }
    return out;
  }

  private inflight(q: SqsQueue, handle: string): SqsMessage {
    const m = q.messages.find((x) => x.receiptHandle === handle);
    if (!m)
      throw new HttpFault(
        400,
        `${ERR}ReceiptHandleIsInvalid`,
        `The input receipt handle "${handle}" is not a valid receipt handle.`,
      );
    if (m.visibleAt <= this.clock())
      throw new HttpFault(400, `${ERR}MessageNotInflight`, 'The message referred to is not in flight.');
    return m;
  }

  private remove(q: SqsQueue, handle: string): void {
    const i = q.messages.findIndex((x) => x.receiptHandle === handle);
    if (i < 0)
      throw new HttpFault(
        400,
        `${ERR}ReceiptHandleIsInvalid`,
        `The input receipt handle "${handle}" is not a valid receipt handle.`,
      );
    q.messages.splice(i, 1);
  }

  private deleteBatch(q: SqsQueue, raw: unknown) {
    const entries = checkBatch(raw) as { Id: string; ReceiptHandle?: string }[];
    const Successful: { Id: string }[] = [];
    const Failed: { Id: string; SenderFault: boolean; Code: string; Message: string }[] = [];
    for (const e of entries) {
      try {
        this.remove(q, e.ReceiptHandle ?? '');
        Successful.push({ Id: e.Id });
      } catch (err) {
        const f = err as HttpFault;
        Failed.push({ Id: e.Id, SenderFault: true, Code: f.errorCode.replace(ERR, ''), Message: f.message });
      }
    }
    return { Successful, Failed };
  }

  private attributes(q: SqsQueue, names: unknown): Record<string, string> {
    const now = this.clock();
    const all: Record<string, string> = {
      QueueArn: q.arn,
      ApproximateNumberOfMessages: String(q.messages.filter((m) => m.visibleAt <= now).length),
      ApproximateNumberOfMessagesNotVisible: String(
        q.messages.filter((m) => m.visibleAt > now && m.receiveCount > 0).length,
      ),
      ApproximateNumberOfMessagesDelayed: String(
        q.messages.filter((m) => m.visibleAt > now && m.receiveCount === 0).length,
      ),
      VisibilityTimeout: String(q.visibilityTimeoutS),
      MessageRetentionPeriod: String(q.retentionS),
      DelaySeconds: String(q.delayS),
      CreatedTimestamp: String(Math.floor(q.createdAt / 1000)),
      ...(q.redrive ? { RedrivePolicy: JSON.stringify(q.redrive) } : {}),
    };
    const wanted = Array.isArray(names) ? (names as string[]) : [];
    if (wanted.includes('All')) return all;
    return Object.fromEntries(Object.entries(all).filter(([k]) => wanted.includes(k)));
  }
}

function nonExistent(): HttpFault {
  return new HttpFault(400, `${ERR}QueueDoesNotExist`, 'The specified queue does not exist.');
}

function checkBatch(raw: unknown): { Id: string }[] {
  const entries = Array.isArray(raw) ? (raw as { Id: string }[]) : [];
  if (entries.length === 0)
    throw new HttpFault(
      400,
      `${ERR}EmptyBatchRequest`,
      'There should be at least one SendMessageBatchRequestEntry in the request.',
    );
  if (entries.length > MAX_BATCH_ENTRIES)
    throw new HttpFault(
      400,
      `${ERR}TooManyEntriesInBatchRequest`,
      `Maximum number of entries per request are ${MAX_BATCH_ENTRIES}. You have sent ${entries.length}.`,
    );
  const ids = new Set(entries.map((e) => e.Id));
  if (ids.size !== entries.length)
    throw new HttpFault(
      400,
      `${ERR}BatchEntryIdsNotDistinct`,
      'Two or more batch entries in the request have the same Id.',
    );
  for (const e of entries)
    if (!/^[A-Za-z0-9_-]{1,80}$/.test(String(e.Id)))
      throw new HttpFault(
        400,
        `${ERR}InvalidBatchEntryId`,
        'A batch entry id can only contain alphanumeric characters, hyphens and underscores. It can be at most 80 letters long.',
      );
  return entries;
}

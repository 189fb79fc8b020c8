/**
 * JobQueue over Amazon SQS (the scale-out seam of scheduler/queue.ts): the planner sends one message
 * per due instance (SendMessageBatch, 10 per call, deduplicated per pass, account, region and
 * instance), workers receive with long polling, keep the message invisible while they scan
 * (ChangeMessageVisibility every half visibility timeout), and delete it when the job is handled.
 * A message whose body is not a job is made visible again at once, so the queue's redrive policy
 * moves it to the dead-letter queue after maxReceiveCount receives; a job that is never acked (a
 * killed worker) comes back after the visibility timeout.
 *
 * Used by `snapscan scheduler --queue` (send) and `snapscan worker --queue` (receive, ack, release);
 * see scheduler/scale-out.ts.
 *
 * https://docs.aws.amazon.com/AWSSimpleQueueService/latest/SQSDeveloperGuide/sqs-visibility-timeout.html
 */
import {
  ChangeMessageVisibilityCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { ScanError } from '../engine/errors.js';
import type { JobQueue, ScanJob } from './queue.js';

/** SQS allows 10 entries per batch. */
const BATCH = 10;
/** A job message is a few hundred bytes; anything far larger is not ours. */
export const MAX_JOB_MESSAGE_BYTES = 64 * 1024;

export interface SqsJobQueueOptions {
  /** Long-poll wait per ReceiveMessage (0..20 s, default 20). */
  waitSeconds?: number;
  /** Visibility while a job is held (default 900 s); extended every half of it. */
  visibilityTimeoutS?: number;
  /** receive() gives up (returns undefined) after the queue stayed empty this long (default: never). */
  idleMs?: number;
  /** Called after every ReceiveMessage answer (a worker's liveness: it is polling). */
  onPoll?: () => void;
  log?: (line: string) => void;
}

const jobKey = (j: ScanJob) => `${j.passId}/${j.accountId}/${j.region}/${j.instanceId}`;

/** Parses a message body into a job, or undefined when it is not one (bounded, every field typed). */
export function parseJob(body: string | undefined): ScanJob | undefined {
  if (!body || Buffer.byteLength(body, 'utf8') > MAX_JOB_MESSAGE_BYTES) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(body);
  } catch {
    return undefined;
  }
  if (!v || typeof v !== 'object') return undefined;
  const j = v as Record<string, unknown>;
  const str = (k: string) => typeof j[k] === 'string' && (j[k] as string).length > 0;
  if (!str('passId') || !str('accountId') || !str('region') || !str('instanceId')) return undefined;
  if (j.method !== 'ssm' && j.method !== 'agentless') return undefined;
  if (typeof j.overdueMs !== 'number' || !Number.isFinite(j.overdueMs)) return undefined;
  if (!j.tags || typeof j.tags !== 'object' || Array.isArray(j.tags)) return undefined;
  if (!Object.values(j.tags).every((t) => typeof t === 'string')) return undefined;
  return v as ScanJob;
}

export class SqsJobQueue implements JobQueue {
  private readonly held = new Map<ScanJob, { handle: string; timer: NodeJS.Timeout; receives: number }>();
  private readonly sent = new Set<string>();
  private readonly wait: number;
  private readonly visibility: number;

  constructor(
    private readonly sqs: SQSClient,
    readonly queueUrl: string,
    private readonly o: SqsJobQueueOptions = {},
  ) {
    this.wait = o.waitSeconds ?? 20;
    this.visibility = o.visibilityTimeoutS ?? 900;
    if (!(this.wait >= 0 && this.wait <= 20)) throw new RangeError('waitSeconds must be in 0..20');
    if (!(this.visibility >= 1 && this.visibility <= 43_200))
      throw new RangeError('visibilityTimeoutS must be in 1..43200');
  }

  async send(jobs: readonly ScanJob[]): Promise<void> {
    const fresh: ScanJob[] = [];
    for (const j of jobs) {
      const k = jobKey(j);
      if (this.sent.has(k)) continue;
      this.sent.add(k);
      fresh.push(j);
    }
    for (let i = 0; i < fresh.length; i += BATCH) {
      let entries = fresh
        .slice(i, i + BATCH)
        .map((j, n) => ({ Id: `j${n}`, MessageBody: JSON.stringify(j) }));
      // Entries SQS failed on its side are sent again once; a sender fault is ours and reported.
      for (let attempt = 0; entries.length > 0; attempt++) {
        const r = await this.sqs.send(
          new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: entries }),
        );
        const failed = r.Failed ?? [];
        if (failed.length === 0) break;
        if (attempt >= 1 || failed.some((f) => f.SenderFault)) {
          throw new ScanError(
            'aws-error',
            `SQS SendMessageBatch: ${failed.length} job(s) not queued: ${failed.map((f) => `${f.Code}: ${f.Message}`).join('; ')}`,
          );
        }
        const retry = new Set(failed.map((f) => f.Id));
        entries = entries.filter((e) => retry.has(e.Id));
      }
    }
  }

  async receive(signal?: AbortSignal): Promise<ScanJob | undefined> {
    const idleUntil = this.o.idleMs !== undefined ? Date.now() + this.o.idleMs : Number.POSITIVE_INFINITY;
    while (!signal?.aborted) {
      const wait = Math.max(0, Math.min(this.wait, Math.ceil((idleUntil - Date.now()) / 1000)));
      const r = await this.sqs.send(
        new ReceiveMessageCommand({
          QueueUrl: this.queueUrl,
          MaxNumberOfMessages: 1,
          WaitTimeSeconds: wait,
          VisibilityTimeout: this.visibility,
          MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        }),
        signal ? { abortSignal: signal } : {},
      );
      this.o.onPoll?.();
      const m = r.Messages?.[0];
      if (m?.ReceiptHandle) {
        const job = parseJob(m.Body);
        if (!job) {
          // Not a job: visible again now; redrive moves it to the dead-letter queue after N receives.
          this.o.log?.(`sqs: message ${m.MessageId} is not a scan job; left for the dead-letter queue`);
          await this.sqs.send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: this.queueUrl,
              ReceiptHandle: m.ReceiptHandle,
              VisibilityTimeout: 0,
            }),
          );
          continue;
        }
        this.hold(job, m.ReceiptHandle, Number(m.Attributes?.ApproximateReceiveCount ?? 1) || 1);
        return job;
      }
      if (Date.now() >= idleUntil) return undefined;
    }
    return undefined;
  }

  async ack(job: ScanJob): Promise<void> {
    const h = this.held.get(job);
    if (!h) return;
    clearInterval(h.timer);
    this.held.delete(job);
    await this.sqs.send(new DeleteMessageCommand({ QueueUrl: this.queueUrl, ReceiptHandle: h.handle }));
  }

  /** How many times the held job's message has been received (1 on the first delivery). */
  receives(job: ScanJob): number {
    return this.held.get(job)?.receives ?? 0;
  }

  /**
   * Gives the job back: visible again at once (another worker, or this one, takes it; each receive
   * counts towards the queue's maxReceiveCount, after which SQS moves it to the dead-letter queue).
   */
  async release(job: ScanJob): Promise<void> {
    const h = this.held.get(job);
    if (!h) return;
    clearInterval(h.timer);
    this.held.delete(job);
    await this.sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: this.queueUrl,
        ReceiptHandle: h.handle,
        VisibilityTimeout: 0,
      }),
    );
  }

  /** Stops extending every held job (they come back after their visibility timeout). */
  close(): void {
    for (const h of this.held.values()) clearInterval(h.timer);
    this.held.clear();
  }

  private hold(job: ScanJob, handle: string, receives: number): void {
    const timer = setInterval(
      () => {
        this.sqs
          .send(
            new ChangeMessageVisibilityCommand({
              QueueUrl: this.queueUrl,
              ReceiptHandle: handle,
              VisibilityTimeout: this.visibility,
            }),
          )
          .catch((err: Error) =>
            this.o.log?.(`sqs: visibility of ${job.instanceId} not extended: ${err.message}`),
          );
      },
      (this.visibility * 1000) / 2,
    );
    timer.unref();
    this.held.set(job, { handle, timer, receives });
  }
}

/**
 * The dead-letter queue of a queue, from its RedrivePolicy (deadLetterTargetArn → GetQueueUrl), with
 * the number of receives after which SQS moves a message there; undefined without a redrive policy.
 */
export async function deadLetterQueueOf(
  sqs: SQSClient,
  queueUrl: string,
): Promise<{ url: string; maxReceiveCount: number } | undefined> {
  const a = await sqs.send(
    new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['RedrivePolicy'] }),
  );
  const raw = a.Attributes?.RedrivePolicy;
  if (!raw) return undefined;
  let p: { deadLetterTargetArn?: unknown; maxReceiveCount?: unknown };
  try {
    p = JSON.parse(raw) as typeof p;
  } catch {
    throw new ScanError('aws-error', `SQS ${queueUrl}: RedrivePolicy is not JSON`);
  }
  // arn:aws:sqs:REGION:ACCOUNT:NAME
  const arn = typeof p.deadLetterTargetArn === 'string' ? p.deadLetterTargetArn.split(':') : [];
  if (arn.length !== 6 || arn[0] !== 'arn' || arn[2] !== 'sqs')
    throw new ScanError('aws-error', `SQS ${queueUrl}: RedrivePolicy names no dead-letter queue ARN`);
  const r = await sqs.send(new GetQueueUrlCommand({ QueueName: arn[5]!, QueueOwnerAWSAccountId: arn[4]! }));
  if (!r.QueueUrl) throw new ScanError('aws-error', `SQS: no URL for dead-letter queue ${arn[5]}`);
  return { url: r.QueueUrl, maxReceiveCount: Number(p.maxReceiveCount) || 0 };
}

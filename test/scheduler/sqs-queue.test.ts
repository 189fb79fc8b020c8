import { ReceiveMessageCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ScanJob } from '../../scheduler/queue.js';
import { parseJob, SqsJobQueue } from '../../scheduler/sqs-queue.js';
import { createJobQueue, sqsFor } from '../emulator/clients.js';
import { type Emulator, startEmulator } from '../emulator/index.js';

const job = (i: number, passId = 'p1'): ScanJob => ({
  passId,
  accountId: '123456789012',
  region: 'us-east-1',
  instanceId: `i-${String(i).padStart(17, '0')}`,
  method: 'agentless',
  tags: { Name: `web-${i}` },
  overdueMs: 1000 * i,
});

describe('scheduler/sqs-queue', () => {
  let emu: Emulator;
  let sqs: SQSClient;
  let n = 0;

  /** A fresh queue with a dead-letter queue after 2 receives. */
  async function queues(visibility = 30) {
    n++;
    return createJobQueue(sqs, `jobs-${n}`, { visibilityS: visibility, maxReceiveCount: 2 });
  }

  beforeAll(async () => {
    emu = await startEmulator();
    sqs = sqsFor(emu.endpoint, 3);
  });
  afterAll(async () => {
    sqs?.destroy();
    await emu?.close();
  });

  it('send: 10 jobs per SendMessageBatch, a job sent twice in a pass is queued once; two consumers get every job exactly once', async () => {
    const { url } = await queues();
    const planner = new SqsJobQueue(sqs, url, { waitSeconds: 0, idleMs: 0 });
    const before = emu.counts.SendMessageBatch ?? 0;
    const jobs = Array.from({ length: 23 }, (_, i) => job(i));
    await planner.send([...jobs, job(4), job(7)]);
    await planner.send([job(1)]);
    expect((emu.counts.SendMessageBatch ?? 0) - before).toBe(3);
    expect(emu.services.sqs.queue(url)!.messages).toHaveLength(23);

    const a = new SqsJobQueue(sqs, url, { waitSeconds: 0, idleMs: 0 });
    const b = new SqsJobQueue(sqs, url, { waitSeconds: 0, idleMs: 0 });
    const seen: string[] = [];
    const consume = async (q: SqsJobQueue) => {
      for (let j = await q.receive(); j; j = await q.receive()) {
        seen.push(j.instanceId);
        await q.ack(j);
      }
    };
    await Promise.all([consume(a), consume(b)]);
    expect(seen.sort()).toEqual(jobs.map((j) => j.instanceId).sort());
    expect(emu.services.sqs.queue(url)!.messages).toHaveLength(0);
  });

  it('a held job stays invisible past its visibility timeout (extended every half); an unacked one comes back', async () => {
    const { url } = await queues(1);
    const q = new SqsJobQueue(sqs, url, { waitSeconds: 0, idleMs: 0, visibilityTimeoutS: 1 });
    await q.send([job(1), job(2)]);
    const held = await q.receive();
    const dropped = await q.receive();
    expect(held && dropped).toBeTruthy();
    const before = emu.counts.ChangeMessageVisibility ?? 0;
    // A worker that died holding `dropped` stops extending it: simulate by forgetting it.
    clearInterval(
      (q as unknown as { held: Map<ScanJob, { timer: NodeJS.Timeout }> }).held.get(dropped!)!.timer,
    );
    await new Promise((r) => setTimeout(r, 1600));
    expect((emu.counts.ChangeMessageVisibility ?? 0) - before).toBeGreaterThanOrEqual(2);
    const other = new SqsJobQueue(sqs, url, { waitSeconds: 0, idleMs: 0, visibilityTimeoutS: 30 });
    const back = await other.receive();
    expect(back?.instanceId).toBe(dropped!.instanceId);
    expect(await other.receive()).toBeUndefined();
    await other.ack(back!);
    await q.ack(held!);
    q.close();
    expect(emu.services.sqs.queue(url)!.messages).toHaveLength(0);
  });

  it('a message that is not a job is never handed out and ends in the dead-letter queue', async () => {
    const { url, dlq } = await queues();
    await sqs.send(new SendMessageCommand({ QueueUrl: url, MessageBody: '{"instanceId": 42}' }));
    const q = new SqsJobQueue(sqs, url, { waitSeconds: 0, idleMs: 300 });
    await q.send([job(9)]);
    const got = await q.receive();
    expect(got?.instanceId).toBe(job(9).instanceId);
    await q.ack(got!);
    expect(await q.receive()).toBeUndefined();
    const dead = await sqs.send(new ReceiveMessageCommand({ QueueUrl: dlq, MaxNumberOfMessages: 10 }));
    expect(dead.Messages?.map((m) => m.Body)).toEqual(['{"instanceId": 42}']);
  });

  it.each([
    ['not JSON', 'scan i-1'],
    ['no passId', JSON.stringify({ ...job(1), passId: '' })],
    ['bad method', JSON.stringify({ ...job(1), method: 'ssh' })],
    ['tags not strings', JSON.stringify({ ...job(1), tags: { a: 1 } })],
    ['too large', JSON.stringify({ ...job(1), pad: 'x'.repeat(70_000) })],
  ])('parseJob refuses %s', (_n, body) => {
    expect(parseJob(body)).toBeUndefined();
  });

  it('parseJob keeps a real job as sent', () => {
    expect(parseJob(JSON.stringify(job(3)))).toEqual(job(3));
  });
});

import {
  ChangeMessageVisibilityCommand,
  CreateQueueCommand,
  DeleteMessageBatchCommand,
  DeleteMessageCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sqsFor } from '../clients.js';
import { type Emulator, startEmulator } from '../index.js';

describe('test/emulator/services/sqs', () => {
  let emu: Emulator;
  let sqs: SQSClient;
  let now = Date.parse('2026-12-06T04:00:00Z');
  let queueUrl: string;
  let dlqUrl: string;

  const receive = (url: string, extra: Record<string, unknown> = {}) =>
    sqs.send(
      new ReceiveMessageCommand({
        QueueUrl: url,
        MaxNumberOfMessages: 10,
        MessageSystemAttributeNames: ['ApproximateReceiveCount'],
        ...extra,
      }),
    );
  const depth = async (url: string) => {
    const a = (
      await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: url,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      )
    ).Attributes!;
    return [Number(a.ApproximateNumberOfMessages), Number(a.ApproximateNumberOfMessagesNotVisible)];
  };

  beforeAll(async () => {
    emu = await startEmulator();
    emu.services.sqs.clock = () => now;
    sqs = sqsFor(emu.endpoint, 1);
    dlqUrl = (await sqs.send(new CreateQueueCommand({ QueueName: 'scans-dlq' }))).QueueUrl!;
    const dlqArn = (
      await sqs.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }))
    ).Attributes!.QueueArn!;
    queueUrl = (
      await sqs.send(
        new CreateQueueCommand({
          QueueName: 'scans',
          Attributes: {
            VisibilityTimeout: '30',
            RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: 2 }),
          },
        }),
      )
    ).QueueUrl!;
  });
  afterAll(async () => {
    sqs?.destroy();
    await emu?.close();
  });

  it('CreateQueue is idempotent for the same attributes, refuses different ones; GetQueueUrl; unknown queue is QueueDoesNotExist', async () => {
    expect(queueUrl).toBe(`${emu.endpoint}/${emu.options.accountId}/scans`);
    const again = await sqs.send(new CreateQueueCommand({ QueueName: 'scans-dlq' }));
    expect(again.QueueUrl).toBe(dlqUrl);
    await expect(
      sqs.send(new CreateQueueCommand({ QueueName: 'scans-dlq', Attributes: { VisibilityTimeout: '5' } })),
    ).rejects.toMatchObject({ name: 'QueueNameExists' });
    expect((await sqs.send(new GetQueueUrlCommand({ QueueName: 'scans' }))).QueueUrl).toBe(queueUrl);
    await expect(
      sqs.send(
        new SendMessageCommand({
          QueueUrl: `${emu.endpoint}/${emu.options.accountId}/nope`,
          MessageBody: 'x',
        }),
      ),
    ).rejects.toMatchObject({ name: 'QueueDoesNotExist' });
  });

  it.each([
    ['no entries', [], 'EmptyBatchRequest'],
    [
      '11 entries',
      Array.from({ length: 11 }, (_, i) => ({ Id: `m${i}`, MessageBody: 'x' })),
      'TooManyEntriesInBatchRequest',
    ],
    [
      'duplicate ids',
      [
        { Id: 'a', MessageBody: 'x' },
        { Id: 'a', MessageBody: 'y' },
      ],
      'BatchEntryIdsNotDistinct',
    ],
  ])('SendMessageBatch with %s is refused', async (_n, Entries, name) => {
    await expect(
      sqs.send(new SendMessageBatchCommand({ QueueUrl: queueUrl, Entries })),
    ).rejects.toMatchObject({
      name,
    });
  });

  it('SendMessageBatch → ReceiveMessage hides messages for the visibility timeout; the SDK checks every MD5', async () => {
    const sent = await sqs.send(
      new SendMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: ['i-1', 'i-2', 'i-3'].map((id, n) => ({
          Id: `e${n}`,
          MessageBody: JSON.stringify({ instanceId: id, pass: 'p1' }),
        })),
      }),
    );
    expect(sent.Successful).toHaveLength(3);
    expect(sent.Failed ?? []).toEqual([]);
    const first = await receive(queueUrl);
    expect(first.Messages!.map((m) => JSON.parse(m.Body!).instanceId)).toEqual(['i-1', 'i-2', 'i-3']);
    expect(first.Messages!.every((m) => m.Attributes?.ApproximateReceiveCount === '1')).toBe(true);
    expect(await depth(queueUrl)).toEqual([0, 3]);
    expect((await receive(queueUrl)).Messages ?? []).toEqual([]);

    // A worker extends the visibility of the one it is still scanning; the others come back after 30 s.
    const [busy, done, lost] = first.Messages!;
    await sqs.send(
      new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl,
        ReceiptHandle: busy!.ReceiptHandle!,
        VisibilityTimeout: 120,
      }),
    );
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: done!.ReceiptHandle! }));
    now += 31_000;
    const second = await receive(queueUrl);
    expect(second.Messages!.map((m) => m.MessageId)).toEqual([lost!.MessageId]);
    expect(second.Messages![0]!.Attributes?.ApproximateReceiveCount).toBe('2');
    // The first receipt handle of a redelivered message no longer deletes it.
    await expect(
      sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: lost!.ReceiptHandle! })),
    ).rejects.toMatchObject({ name: 'ReceiptHandleIsInvalid' });

    // Received twice (maxReceiveCount 2) and not deleted: the next receive moves it to the DLQ.
    now += 31_000;
    expect((await receive(queueUrl)).Messages ?? []).toEqual([]);
    const dead = await receive(dlqUrl);
    expect(dead.Messages!.map((m) => m.MessageId)).toEqual([lost!.MessageId]);
    expect(JSON.parse(dead.Messages![0]!.Body!)).toEqual({ instanceId: 'i-3', pass: 'p1' });

    // The extended one comes back once its 120 s are over; deleted in a batch.
    now += 60_000;
    const third = await receive(queueUrl);
    expect(third.Messages!.map((m) => m.MessageId)).toEqual([busy!.MessageId]);
    const del = await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: [
          { Id: 'ok', ReceiptHandle: third.Messages![0]!.ReceiptHandle! },
          { Id: 'stale', ReceiptHandle: busy!.ReceiptHandle! },
        ],
      }),
    );
    expect(del.Successful!.map((s) => s.Id)).toEqual(['ok']);
    expect(del.Failed!.map((f) => [f.Id, f.Code])).toEqual([['stale', 'ReceiptHandleIsInvalid']]);
    expect(await depth(queueUrl)).toEqual([0, 0]);
  });

  it('ChangeMessageVisibility on a message no longer in flight is MessageNotInflight', async () => {
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'late' }));
    const [m] = (await receive(queueUrl)).Messages!;
    now += 31_000;
    await expect(
      sqs.send(
        new ChangeMessageVisibilityCommand({
          QueueUrl: queueUrl,
          ReceiptHandle: m!.ReceiptHandle!,
          VisibilityTimeout: 60,
        }),
      ),
    ).rejects.toMatchObject({ name: 'MessageNotInflight' });
    const [again] = (await receive(queueUrl)).Messages!;
    await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: again!.ReceiptHandle! }));
  });

  it('long polling (WaitTimeSeconds) answers as soon as a message arrives', async () => {
    const polling = receive(queueUrl, { WaitTimeSeconds: 10 });
    await new Promise((r) => setTimeout(r, 100));
    await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'wake' }));
    const got = await polling;
    expect(got.Messages!.map((m) => m.Body)).toEqual(['wake']);
    await sqs.send(
      new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: got.Messages![0]!.ReceiptHandle! }),
    );
  });

  it('throttling is answered in the SQS JSON shape (RequestThrottled) and retried by the SDK', async () => {
    const retrying = sqsFor(emu.endpoint, 10);
    const before = emu.injected.throttle ?? 0;
    emu.configure({ faults: { throttleRate: 0.5, actions: ['SendMessage'] } });
    try {
      for (let i = 0; i < 3; i++)
        await retrying.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: `t${i}` }));
    } finally {
      emu.configure({ faults: {} });
      retrying.destroy();
    }
    expect((emu.injected.throttle ?? 0) - before).toBeGreaterThan(0);
    const got = [...((await receive(queueUrl)).Messages ?? [])];
    expect(got.map((m) => m.Body).sort()).toEqual(Array.from({ length: 3 }, (_, i) => `t${i}`).sort());
    await sqs.send(
      new DeleteMessageBatchCommand({
        QueueUrl: queueUrl,
        Entries: got.map((m, i) => ({ Id: `d${i}`, ReceiptHandle: m.ReceiptHandle! })),
      }),
    );
    expect(await depth(queueUrl)).toEqual([0, 0]);
  });
});

import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventsFor } from '../clients.js';
import { type Emulator, startEmulator } from '../index.js';
import { MAX_PUT_EVENTS_BYTES } from '../services/events.js';

const entry = (i: number, extra: Record<string, unknown> = {}) => ({
  Source: 'snapscan',
  DetailType: 'Finding Created',
  Detail: JSON.stringify({ n: i }),
  Resources: [`arn:aws:ec2:us-east-1:123456789012:instance/i-${i}`],
  EventBusName: 'security',
  ...extra,
});

describe('test/emulator/services/events', () => {
  let emu: Emulator;
  let eb: EventBridgeClient;

  beforeAll(async () => {
    emu = await startEmulator();
    emu.services.events.createBus('security');
    eb = eventsFor(emu.endpoint, 1);
  });
  afterAll(async () => {
    eb?.destroy();
    await emu?.close();
  });

  it('PutEvents records each event (bus by name or ARN) and answers an EventId per entry', async () => {
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [
          entry(1),
          entry(2, { EventBusName: 'arn:aws:events:us-east-1:123456789012:event-bus/security' }),
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(0);
    expect(out.Entries?.every((e) => e.EventId)).toBe(true);
    const got = emu.services.events.events.slice(-2);
    expect(got.map((e) => [e.bus, e.source, e.detailType, e.detail])).toEqual([
      ['security', 'snapscan', 'Finding Created', { n: 1 }],
      ['security', 'snapscan', 'Finding Created', { n: 2 }],
    ]);
    expect(got[0]!.resources).toEqual(['arn:aws:ec2:us-east-1:123456789012:instance/i-1']);
  });

  it.each([
    { name: '11 entries', entries: Array.from({ length: 11 }, (_, i) => entry(i)) },
    { name: '0 entries', entries: [] },
    {
      name: 'over 256 KiB in total',
      entries: Array.from({ length: 3 }, (_, i) =>
        entry(i, { Detail: JSON.stringify({ pad: 'x'.repeat(MAX_PUT_EVENTS_BYTES / 3) }) }),
      ),
    },
  ])('refuses $name with ValidationException', async ({ entries }) => {
    const before = emu.services.events.events.length;
    const err = await eb.send(new PutEventsCommand({ Entries: entries })).catch((e) => e);
    expect(err.name).toBe('ValidationException');
    expect(emu.services.events.events.length).toBe(before);
  });

  it('bad entries and injected failures fail alone: FailedEntryCount and per-entry ErrorCode', async () => {
    emu.services.events.failEntries((_e, i) => i === 1, { times: 1 });
    const out = await eb.send(
      new PutEventsCommand({
        Entries: [
          entry(10),
          entry(11),
          entry(12, { Detail: '[1]' }),
          entry(13, { EventBusName: 'nope' }),
          entry(14),
        ],
      }),
    );
    expect(out.FailedEntryCount).toBe(3);
    expect(out.Entries?.map((e) => e.ErrorCode ?? 'ok')).toEqual([
      'ok',
      'InternalFailure',
      'MalformedDetail',
      'ResourceNotFoundException',
      'ok',
    ]);
    expect(emu.services.events.events.slice(-2).map((e) => e.detail)).toEqual([{ n: 10 }, { n: 14 }]);
    expect(emu.injected['events-entry-fail']).toBe(1);
  });

  it('throttling answers ThrottlingException (JSON 1.1)', async () => {
    emu.configure({ faults: { throttleRate: 1, actions: ['PutEvents'] } });
    const err = await eb.send(new PutEventsCommand({ Entries: [entry(1)] })).catch((e) => e);
    emu.configure({ faults: {} });
    expect(err.name).toBe('ThrottlingException');
  });
});

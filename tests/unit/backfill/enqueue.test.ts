import { SendMessageBatchCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { SendMessageBatchCommandInput } from '@aws-sdk/client-sqs';
import { mockClient } from 'aws-sdk-client-mock';
import { parseChangeMessage } from '../../../src/events';
import { messageGroupId } from '../../../src/functions/relay-function';
import { sendEntries } from '../../../src/backfill/enqueue';
import { convergeEntry } from '../../../src/backfill/messages';

const QUEUE = 'https://sqs.us-east-1.amazonaws.com/111122223333/replicate.fifo';
const noSleep = () => Promise.resolve();

describe('convergeEntry', () => {
  it('is a change message of type converge that the replicate function accepts, in the key group of live events', () => {
    const entry = convergeEntry('run-1', 'src-bucket', 'dir/a b+c%.txt', 'all', { n: 7, now: new Date('2026-01-02T03:04:05Z') });
    const message = parseChangeMessage(entry.body);
    expect(message).toEqual({ v: 1, eventId: 'backfill:run-1:7', eventTime: '2026-01-02T03:04:05.000Z', type: 'converge', bucket: 'src-bucket', key: 'dir/a b+c%.txt', history: 'all' });
    expect(entry.groupId).toBe(messageGroupId('src-bucket', 'dir/a b+c%.txt'));
  });

  it('leaves history out when the function’s own mode applies', () => {
    expect(parseChangeMessage(convergeEntry('r', 'b-1', 'k', undefined).body).history).toBeUndefined();
  });

  it('deduplicates per run and key, within SQS’s 128 characters, even for a 1024-byte key', () => {
    const long = 'k'.repeat(1024);
    const a = convergeEntry('run-1', 'bucket', long, 'all');
    expect(a.deduplicationId).toMatch(/^[0-9a-f]{64}$/);
    expect(convergeEntry('run-1', 'bucket', long, 'latest').deduplicationId).toBe(a.deduplicationId);
    expect(convergeEntry('run-2', 'bucket', long, 'all').deduplicationId).not.toBe(a.deduplicationId);
    expect(convergeEntry('run-1', 'bucket', `${long.slice(1)}j`, 'all').deduplicationId).not.toBe(a.deduplicationId);
  });

  it('without a number, names the event after the key’s hash (unique per key)', () => {
    const a = parseChangeMessage(convergeEntry('r', 'bucket', 'a', undefined).body).eventId;
    const b = parseChangeMessage(convergeEntry('r', 'bucket', 'b', undefined).body).eventId;
    expect(a).toMatch(/^backfill:r:[0-9a-f]{16}$/);
    expect(a).not.toBe(b);
  });
});

describe('sendEntries', () => {
  const sqs = new SQSClient({ region: 'us-east-1' });
  const mock = mockClient(sqs);
  beforeEach(() => mock.reset());
  const entries = (n: number) => Array.from({ length: n }, (_, i) => convergeEntry('run', 'bucket', `key-${i}`, undefined, { n: i }));

  it('sends 10 entries per SendMessageBatch with each key’s group and deduplication id', async () => {
    const sent: SendMessageBatchCommandInput[] = [];
    mock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      sent.push(input);
      return { Successful: input.Entries!.map((e) => ({ Id: e.Id, MessageId: `m${e.Id}`, MD5OfMessageBody: '' })), Failed: [] };
    });
    const list = entries(23);
    const result = await sendEntries(sqs, QUEUE, list, noSleep);
    expect(result).toEqual({ sent: 23, failed: [] });
    expect(sent.map((b) => b.Entries!.length)).toEqual([10, 10, 3]);
    const flat = sent.flatMap((b) => b.Entries!);
    expect(flat.map((e) => e.MessageGroupId)).toEqual(list.map((e) => e.groupId));
    expect(flat.map((e) => e.MessageDeduplicationId)).toEqual(list.map((e) => e.deduplicationId));
    expect(sent.every((b) => b.QueueUrl === QUEUE)).toBe(true);
  });

  it('sends again only the entries SQS failed for a transient reason, and reports those refused as the sender’s fault', async () => {
    const attempts: string[][] = [];
    mock.on(SendMessageBatchCommand).callsFake((input: SendMessageBatchCommandInput) => {
      const ids = input.Entries!.map((e) => e.Id!);
      attempts.push(ids);
      const first = attempts.length === 1;
      return {
        Successful: ids.filter((id) => !(first && (id === '1' || id === '2'))).map((Id) => ({ Id, MessageId: Id, MD5OfMessageBody: '' })),
        Failed: first
          ? [
              { Id: '1', SenderFault: false, Code: 'InternalError' },
              { Id: '2', SenderFault: true, Code: 'InvalidParameterValue', Message: 'bad' },
            ]
          : [],
      };
    });
    const result = await sendEntries(sqs, QUEUE, entries(3), noSleep);
    expect(attempts).toEqual([['0', '1', '2'], ['1']]);
    expect(result.sent).toBe(2);
    expect(result.failed).toEqual([{ groupId: entries(3)[2]!.groupId, index: 2, code: 'InvalidParameterValue', message: 'bad' }]);
  });

  it('gives up on an entry that keeps failing, and returns it', async () => {
    mock.on(SendMessageBatchCommand).resolves({ Successful: [], Failed: [{ Id: '0', SenderFault: false, Code: 'ServiceUnavailable' }] });
    const result = await sendEntries(sqs, QUEUE, entries(1), noSleep);
    expect(result.sent).toBe(0);
    expect(result.failed.map((f) => f.code)).toEqual(['ServiceUnavailable']);
    expect(mock.commandCalls(SendMessageBatchCommand)).toHaveLength(5);
  });
});

describe('message bodies', () => {
  it('are pure ASCII whatever the key holds, and parse back to the same key', () => {
    const key = 'emoji \u{1f600} nonchar \uffff\ufffe ctl \u0001 tab\t é';
    const entry = convergeEntry('r', 'bucket', key, undefined);
    expect(entry.body).toMatch(/^[\x20-\x7e]*$/);
    expect(parseChangeMessage(entry.body).key).toBe(key);
  });
});

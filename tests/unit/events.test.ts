import fc from 'fast-check';
import { InvalidEventError, PermanentError } from '../../src/errors';
import type { ChangeMessage, RelayDecision } from '../../src/events';
import { asciiJson, decodeObjectKey, parseChangeMessage, toChangeMessage } from '../../src/events';
import { changeMessage, eventBridgeEvent, SOURCE_BUCKET } from '../helpers/builders';

/** S3's encoding of keys in events (application/x-www-form-urlencoded, '/' kept), written independently of src/. */
function formEncode(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/');
}

function sent(decision: RelayDecision): ChangeMessage {
  if (decision.action !== 'send') throw new Error(`expected a message, got ${JSON.stringify(decision)}`);
  return decision.message;
}

function thrown(act: () => unknown): unknown {
  try {
    act();
  } catch (error) {
    return error;
  }
  throw new Error('expected an error');
}

describe('toChangeMessage', () => {
  it('turns Object Created into a created message with the decoded key', () => {
    // Prepare
    const event = eventBridgeEvent({ detailType: 'Object Created', key: 'photos/my+cat%2B1.jpg', size: 1234, etag: 'abc', versionId: 'ver-1', sequencer: '00617F08299329D189', reason: 'PutObject' });

    // Act
    const decision = toChangeMessage(event);

    // Assess
    expect(decision).toEqual({
      action: 'send',
      message: {
        v: 1,
        eventId: event.id,
        eventTime: event.time,
        type: 'created',
        bucket: SOURCE_BUCKET,
        key: 'photos/my cat+1.jpg',
        versionId: 'ver-1',
        sequencer: '00617F08299329D189',
        etag: 'abc',
        size: 1234,
        reason: 'PutObject',
      },
    });
  });

  it('turns Object Deleted with Delete Marker Created into a deleteMarker message', () => {
    // Prepare
    const event = eventBridgeEvent({ detailType: 'Object Deleted', deletionType: 'Delete Marker Created', size: undefined, versionId: 'marker-1', reason: 'DeleteObject' });

    // Act
    const message = sent(toChangeMessage(event));

    // Assess
    expect(message.type).toBe('deleteMarker');
    expect(message.versionId).toBe('marker-1');
    expect(message.reason).toBe('DeleteObject');
    expect(message).not.toHaveProperty('size');
  });

  it('turns Object Deleted with Permanently Deleted into a permanentDelete message', () => {
    // Prepare: AWS sends no ETag or size for a permanent delete
    const event = eventBridgeEvent({ detailType: 'Object Deleted', deletionType: 'Permanently Deleted', etag: undefined, size: undefined, versionId: 'ver-9', reason: 'Lifecycle Expiration' });

    // Act
    const message = sent(toChangeMessage(event));

    // Assess
    expect(message.type).toBe('permanentDelete');
    expect(message.versionId).toBe('ver-9');
    expect(message.reason).toBe('Lifecycle Expiration');
    expect(message).not.toHaveProperty('etag');
    expect(message).not.toHaveProperty('size');
  });

  it.each(['Object Tags Added', 'Object Tags Deleted'])('turns %s into a tags message without a sequencer', (detailType) => {
    // Prepare: tag events carry no sequencer and no reason
    const event = eventBridgeEvent({ detailType, sequencer: undefined, reason: undefined, size: undefined, versionId: 'ver-3' });

    // Act
    const message = sent(toChangeMessage(event));

    // Assess
    expect(message.type).toBe('tags');
    expect(message.versionId).toBe('ver-3');
    expect(message).not.toHaveProperty('sequencer');
    expect(message).not.toHaveProperty('reason');
  });

  it('leaves out the version id of an unversioned bucket', () => {
    // Act
    const message = sent(toChangeMessage(eventBridgeEvent({ versionId: undefined })));

    // Assess
    expect(message).not.toHaveProperty('versionId');
  });

  it('ignores a detail-type it does not handle, naming it', () => {
    // Prepare
    const event = eventBridgeEvent({ detailType: 'Object Restore Completed', reason: undefined });

    // Act
    const decision = toChangeMessage(event);

    // Assess
    expect(decision).toEqual({ action: 'ignore', detailType: 'Object Restore Completed' });
  });

  it('accepts an IPv6 requester address', () => {
    // Prepare
    const event = eventBridgeEvent();
    (event.detail as Record<string, unknown>)['source-ip-address'] = '2001:db8::1';

    // Act
    const decision = toChangeMessage(event);

    // Assess
    expect(decision.action).toBe('send');
  });

  it('makes messages that the replicate side parses back unchanged', () => {
    // Prepare
    const events = [
      eventBridgeEvent({ key: 'a%2Bb/caf%C3%A9+%25.txt' }),
      eventBridgeEvent({ detailType: 'Object Deleted', deletionType: 'Permanently Deleted', etag: undefined, size: undefined }),
      eventBridgeEvent({ detailType: 'Object Tags Added', sequencer: undefined, reason: undefined }),
    ];

    // Act
    const messages = events.map((event) => sent(toChangeMessage(event)));
    const parsed = messages.map((message) => parseChangeMessage(JSON.stringify(message)));

    // Assess
    expect(parsed).toEqual(messages);
  });

  describe('malformed events', () => {
    const object = (event: Record<string, unknown>) => (event.detail as { object: Record<string, unknown> }).object;
    const cases: [string, () => unknown][] = [
      ['a source other than aws.s3', () => eventBridgeEvent({ source: 'aws.ec2' })],
      ['no object key', () => eventBridgeEvent({ key: undefined })],
      ['an empty object key', () => eventBridgeEvent({ key: '' })],
      ['a sequencer that is not hex', () => eventBridgeEvent({ sequencer: '00617F0829932XYZ' })],
      ['a negative size', () => eventBridgeEvent({ size: -1 })],
      ['a time that is not ISO-8601', () => eventBridgeEvent({ time: 'yesterday' })],
      ['no event id', () => eventBridgeEvent({ id: undefined })],
      ['Object Deleted without deletion-type', () => eventBridgeEvent({ detailType: 'Object Deleted', deletionType: undefined })],
      ['Object Deleted with an unknown deletion-type', () => eventBridgeEvent({ detailType: 'Object Deleted', deletionType: 'Shredded' })],
      ['a key that is not valid form-URL-encoding', () => eventBridgeEvent({ key: 'bad%E0%A4%A' })],
      ['a number as key', () => ({ ...eventBridgeEvent(), detail: { ...(eventBridgeEvent().detail as object), object: { ...object(eventBridgeEvent()), key: 42 } } })],
      ['no detail', () => ({ ...eventBridgeEvent(), detail: undefined })],
      ['null', () => null],
      ['a string', () => 'Object Created'],
    ];

    it.each(cases)('rejects an event with %s as InvalidEventError', (_name, build) => {
      // Prepare
      const event = build();

      // Act
      const error = thrown(() => toChangeMessage(event));

      // Assess
      expect(error).toBeInstanceOf(InvalidEventError);
      expect(error).toBeInstanceOf(PermanentError);
      expect((error as InvalidEventError).reason).toBe('invalid-event');
    });

    it('names the wrong source in its message and keeps the cause', () => {
      // Act
      const error = thrown(() => toChangeMessage(eventBridgeEvent({ source: 'aws.ec2' }))) as Error;

      // Assess
      expect(error.message).toContain('source must be aws.s3');
      expect(error.cause).toBeDefined();
    });
  });
});

describe('decodeObjectKey', () => {
  it.each([
    ['a space encoded as +', 'my+cat.jpg', 'my cat.jpg'],
    ['a plus encoded as %2B', 'a%2Bb', 'a+b'],
    ['a percent sign encoded as %25', '100%25+done', '100% done'],
    ['an encoded percent sequence that must stay literal', '%252B', '%2B'],
    ['an equals sign, encoded or not', 'k%3Dv/a=b', 'k=v/a=b'],
    ['unicode', 'caf%C3%A9/%E6%97%A5%E6%9C%AC', 'café/日本'],
    ['an emoji (4-byte UTF-8)', '%F0%9F%98%80', '😀'],
    ['slashes kept as they are', 'a/b//c', 'a/b//c'],
  ])('decodes %s', (_name, encoded, expected) => {
    // Act
    const key = decodeObjectKey(encoded);

    // Assess
    expect(key).toBe(expected);
  });

  it('decodes a 1024-byte key with spaces, plus signs, percent signs and unicode', () => {
    // Prepare: build a key of exactly 1024 UTF-8 bytes
    const unit = 'a b+c%d=é/'; // 11 bytes
    let key = unit.repeat(Math.floor(1024 / 11));
    key += 'x'.repeat(1024 - Buffer.byteLength(key));
    expect(Buffer.byteLength(key)).toBe(1024);

    // Act
    const decoded = decodeObjectKey(formEncode(key));

    // Assess
    expect(decoded).toBe(key);
  });

  it('inverts S3 form-URL-encoding for any key (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1, maxLength: 200 }), (key) => {
        expect(decodeObjectKey(formEncode(key))).toBe(key);
      }),
    );
  });

  it.each([
    ['a lone percent sign', '100%'],
    ['a percent sign followed by non-hex', '%ZZ'],
    ['a truncated escape', 'bad%E0%A4%A'],
    ['an incomplete UTF-8 sequence', 'caf%C3'],
  ])('rejects %s as InvalidEventError', (_name, encoded) => {
    // Act
    const error = thrown(() => decodeObjectKey(encoded));

    // Assess
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).cause).toBeInstanceOf(URIError);
  });
});

describe('parseChangeMessage', () => {
  it('parses a message the relay wrote', () => {
    // Prepare
    const message = changeMessage({ key: 'dir/a+b c' });

    // Act
    const parsed = parseChangeMessage(JSON.stringify(message));

    // Assess
    expect(parsed).toEqual(message);
  });

  it('parses a minimal message with only the required fields', () => {
    // Prepare
    const minimal = { v: 1, eventId: 'e1', eventTime: '2024-01-01T00:00:00.123+01:00', type: 'tags', bucket: SOURCE_BUCKET, key: 'k' };

    // Act
    const parsed = parseChangeMessage(JSON.stringify(minimal));

    // Assess
    expect(parsed).toEqual(minimal);
  });

  it('rejects a body that is not JSON', () => {
    // Act
    const error = thrown(() => parseChangeMessage('{"v":1,'));

    // Assess
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).message).toBe('message body is not JSON');
    expect((error as Error).cause).toBeInstanceOf(SyntaxError);
  });

  it.each([
    ['a JSON array instead of an object', () => []],
    ['no message version', () => ({ ...changeMessage(), v: undefined })],
    ['a lone surrogate in the key', () => changeMessage({ key: 'bad/\ud800.txt' })],
    ['an unknown type', () => ({ ...changeMessage(), type: 'restored' })],
    ['no key', () => ({ ...changeMessage(), key: undefined })],
    ['an empty key', () => changeMessage({ key: '' })],
    ['a key over 1024 characters', () => changeMessage({ key: 'k'.repeat(1025) })],
    ['a sequencer that is not hex', () => changeMessage({ sequencer: 'not-hex' })],
    ['a fractional size', () => changeMessage({ size: 1.5 })],
    ['an eventTime that is not ISO-8601', () => changeMessage({ eventTime: 'Mon, 01 Jan 2024 00:00:00 GMT' })],
  ])('rejects a body with %s as InvalidEventError', (_name, build) => {
    // Prepare
    const body = JSON.stringify(build());

    // Act
    const error = thrown(() => parseChangeMessage(body));

    // Assess
    expect(error).toBeInstanceOf(InvalidEventError);
    expect((error as Error).message).toMatch(/^message body is not a change message: /);
  });

  it('ignores an unknown extra field: a newer relay and an older replicate work together during a deploy', () => {
    // Act
    const parsed = parseChangeMessage(JSON.stringify({ ...changeMessage(), addedLater: 'gov' }));

    // Assess
    expect(parsed).toEqual(changeMessage());
  });

  it('dead-letters another major version with its own reason', () => {
    // Act
    const error = thrown(() => parseChangeMessage(JSON.stringify({ ...changeMessage(), v: 2 }))) as InvalidEventError;

    // Assess
    expect(error).toBeInstanceOf(InvalidEventError);
    expect(error.reason).toBe('unsupported-message-version');
    expect(error.message).toContain('version 2');
  });

  it('reads a converge message of the backfill, with its history', () => {
    // Act
    const parsed = parseChangeMessage(JSON.stringify({ v: 1, eventId: 'backfill:run-1:k', eventTime: '2026-01-01T00:00:00Z', type: 'converge', bucket: SOURCE_BUCKET, key: 'k', history: 'all' }));

    // Assess
    expect(parsed).toMatchObject({ type: 'converge', history: 'all' });
  });
});

describe('asciiJson', () => {
  it('writes every non-ASCII character as an escape that JSON.parse restores (SQS refuses U+FFFE and U+FFFF)', () => {
    // Prepare
    const message = changeMessage({ key: 'odd/\uffff\ufffe-ünï-😀-\u0001.txt' });

    // Act
    const body = asciiJson(message);

    // Assess
    expect(body).toMatch(/^[\x20-\x7e]*$/);
    expect(parseChangeMessage(body)).toEqual(message);
  });

  it('round-trips any key (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 200 }), (key) => {
        const message = changeMessage({ key });
        expect(JSON.parse(asciiJson(message))).toEqual(message);
      }),
    );
  });
});

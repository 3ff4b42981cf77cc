import { z } from 'zod';
import { InvalidEventError } from './errors';

/**
 * The two event shapes at our edges: the EventBridge S3 event the relay receives, and the
 * replication message the relay sends to the queue. Both are validated here, never cast; the
 * object key is decoded once, by the relay.
 */

export const SUPPORTED_DETAIL_TYPES = ['Object Created', 'Object Deleted', 'Object Tags Added', 'Object Tags Deleted'] as const;
export type ChangeType = 'created' | 'deleteMarker' | 'permanentDelete' | 'tags' | 'converge';

/**
 * What the relay (and the backfill) sends and the replicate function acts on: "key K of bucket B
 * changed". `v` is the schema's major version: fields may be added within a major version, so
 * unknown fields are ignored (a newer relay and an older replicate, or the reverse, during a
 * deploy); a message of another major version is dead-lettered with its reason.
 * Type `converge` carries no version: "make this key converge", sent by the backfill; its
 * `history: 'all'` walks the whole history, past REPLICATE_SINCE.
 */
export const MESSAGE_MAJOR_VERSION = 1;
// A key S3 could never have sent: encoding it for a request throws URIError.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
export const changeMessageSchema = z.object({
  v: z.literal(MESSAGE_MAJOR_VERSION),
  eventId: z.string().min(1),
  eventTime: z.iso.datetime({ offset: true }),
  type: z.enum(['created', 'deleteMarker', 'permanentDelete', 'tags', 'converge']),
  bucket: z.string().min(3).max(63),
  key: z.string().min(1).max(1024).refine((key) => !LONE_SURROGATE.test(key), 'must be well-formed Unicode (no lone surrogate)'),
  versionId: z.string().min(1).optional(),
  sequencer: z.string().regex(/^[0-9A-Fa-f]+$/).optional(),
  etag: z.string().optional(),
  size: z.number().int().nonnegative().optional(),
  /** DeleteObject, Lifecycle Expiration, PutObject, ... as S3 reports it. */
  reason: z.string().optional(),
  /** Type converge only: how far back to mirror; default the function's HISTORY_MODE and REPLICATE_SINCE. */
  history: z.enum(['all', 'latest']).optional(),
});
export type ChangeMessage = z.infer<typeof changeMessageSchema>;

const eventBridgeS3Schema = z.object({
  id: z.string().min(1),
  'detail-type': z.string(),
  source: z.literal('aws.s3', { error: 'source must be aws.s3' }),
  time: z.iso.datetime({ offset: true }),
  detail: z.object({
    bucket: z.object({ name: z.string().min(3) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      etag: z.string().optional(),
      'version-id': z.string().optional(),
      sequencer: z.string().regex(/^[0-9A-Fa-f]+$/).optional(),
    }),
    reason: z.string().optional(),
    'deletion-type': z.enum(['Permanently Deleted', 'Delete Marker Created']).optional(),
  }),
});

export type RelayDecision = { action: 'send'; message: ChangeMessage } | { action: 'ignore'; detailType: string };

/**
 * Turns an EventBridge S3 event into a change message, or says to ignore a detail-type we do
 * not handle. Throws InvalidEventError for anything malformed.
 */
export function toChangeMessage(event: unknown): RelayDecision {
  const parsed = eventBridgeS3Schema.safeParse(event);
  if (!parsed.success) throw new InvalidEventError(`not an EventBridge S3 event: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  const { detail, id, time } = parsed.data;
  const detailType = parsed.data['detail-type'];
  const type = changeType(detailType, detail['deletion-type']);
  if (type === undefined) return { action: 'ignore', detailType };
  const object = detail.object;
  return {
    action: 'send',
    message: {
      v: 1,
      eventId: id,
      eventTime: time,
      type,
      bucket: detail.bucket.name,
      key: decodeObjectKey(object.key),
      ...(object['version-id'] !== undefined && { versionId: object['version-id'] }),
      ...(object.sequencer !== undefined && { sequencer: object.sequencer }),
      ...(object.etag !== undefined && { etag: object.etag }),
      ...(object.size !== undefined && { size: object.size }),
      ...(detail.reason !== undefined && { reason: detail.reason }),
    },
  };
}

function changeType(detailType: string, deletionType: string | undefined): ChangeType | undefined {
  switch (detailType) {
    case 'Object Created':
      return 'created';
    case 'Object Deleted':
      if (deletionType === undefined) throw new InvalidEventError('Object Deleted event without deletion-type');
      return deletionType === 'Delete Marker Created' ? 'deleteMarker' : 'permanentDelete';
    case 'Object Tags Added':
    case 'Object Tags Deleted':
      return 'tags';
    default:
      return undefined;
  }
}

/** S3 event keys are form-URL-encoded: '+' is a space, '%2B' a plus. */
export function decodeObjectKey(encoded: string): string {
  try {
    return decodeURIComponent(encoded.replace(/\+/g, ' '));
  } catch (error) {
    throw new InvalidEventError('object key is not valid form-URL-encoding', { cause: error });
  }
}

/** Parses one SQS message body; a bad body fails alone, as a permanent error with its reason. */
export function parseChangeMessage(body: string): ChangeMessage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (error) {
    throw new InvalidEventError('message body is not JSON', { cause: error });
  }
  const version = typeof json === 'object' && json !== null && 'v' in json ? json.v : undefined;
  if (typeof version === 'number' && version !== MESSAGE_MAJOR_VERSION) {
    throw new InvalidEventError(`message schema version ${version} is not supported (this function reads version ${MESSAGE_MAJOR_VERSION})`, { reason: 'unsupported-message-version' });
  }
  const parsed = changeMessageSchema.safeParse(json);
  if (!parsed.success) throw new InvalidEventError(`message body is not a change message: ${z.prettifyError(parsed.error)}`, { cause: parsed.error });
  return parsed.data;
}

/**
 * A message body SQS accepts whatever the key holds: SQS refuses characters outside its XML set
 * (U+FFFE, U+FFFF, lone surrogates...), and JSON.stringify passes them through. Every non-ASCII
 * character is written as a \uXXXX escape, which JSON.parse reads back unchanged.
 */
export function asciiJson(value: unknown): string {
  return JSON.stringify(value).replace(/[\u007f-\uffff]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}

// EventBridge S3 events exactly as AWS delivers them (S3 user guide, "EventBridge event message
// structure"), built from the REAL responses of the local source server, so that the ids and
// ETags in an event are those of objects that exist.
//
// Field sets per detail-type, as AWS sends them:
//  Object Created:  object{key, size, etag, version-id, sequencer}, reason PutObject |
//                   CompleteMultipartUpload | CopyObject | POST Object
//  Object Deleted:  "Delete Marker Created": object{key, etag (MD5 of nothing), version-id of the
//                   marker, sequencer}; "Permanently Deleted": object{key, version-id, sequencer};
//                   reason DeleteObject (or Lifecycle Expiration)
//  Object Tags Added / Deleted: object{key, etag, version-id}; no sequencer, no reason
// The key is form-URL-encoded (space as +, + as %2B, '/' kept), as S3 does in its events.
import { randomBytes, randomUUID } from 'node:crypto';
import {
  DeleteObjectCommand,
  DeleteObjectTaggingCommand,
  HeadObjectCommand,
  PutObjectCommand,
  PutObjectTaggingCommand,
} from '@aws-sdk/client-s3';
import type { DeleteObjectCommandOutput, PutObjectCommandInput, S3Client, Tag } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import type { Options as UploadOptions } from '@aws-sdk/lib-storage';

export type S3DetailType = 'Object Created' | 'Object Deleted' | 'Object Tags Added' | 'Object Tags Deleted';

export interface S3EventBridgeEvent {
  version: '0';
  id: string;
  'detail-type': S3DetailType;
  source: 'aws.s3';
  account: string;
  time: string;
  region: string;
  resources: string[];
  detail: {
    version: '0';
    bucket: { name: string };
    object: { key: string; size?: number; etag?: string; 'version-id'?: string; sequencer?: string };
    'request-id': string;
    requester: string;
    'source-ip-address'?: string;
    reason?: string;
    'deletion-type'?: 'Delete Marker Created' | 'Permanently Deleted';
  };
}

export interface EventOptions {
  /** Default: LOCAL_S3_SOURCE_REGION, else us-east-1. */
  region?: string;
  /** Bucket owner's account id. */
  account?: string;
  /** ISO time; AWS sends whole seconds, e.g. 2021-11-12T00:00:00Z. */
  time?: string;
  /** Default: a fresh sequencer of this bucket/key from nextSequencer(). */
  sequencer?: string;
  /** Default: the request id of the S3 response, else a random one. */
  requestId?: string;
}

/** Whatever carries the S3 request id: an SDK command output. */
interface WithMetadata {
  $metadata?: { requestId?: string };
}

export const TEST_ACCOUNT = '111122223333';
/** ETag S3 reports for delete markers: the MD5 of zero bytes. */
export const EMPTY_ETAG = 'd41d8cd98f00b204e9800998ecf8427e';

/** Encode a key as S3 does in event notifications: application/x-www-form-urlencoded, '/' kept. */
export function encodeEventKey(key: string): string {
  return encodeURIComponent(key)
    .replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)
    .replace(/%20/g, '+')
    .replace(/%2F/g, '/');
}

/** Inverse of encodeEventKey (what the relay must do). */
export function decodeEventKey(encoded: string): string {
  return decodeURIComponent(encoded.replace(/\+/g, ' '));
}

/** S3's rule: right-pad the shorter sequencer with '0', then compare as strings. */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const x = a.toUpperCase().padEnd(width, '0');
  const y = b.toUpperCase().padEnd(width, '0');
  return x === y ? 0 : x < y ? -1 : 1;
}

const lastSequencer = new Map<string, bigint>();
let sequencerCalls = 0;

/**
 * The next sequencer of bucket/key: strictly increasing per key (under S3's padding rule) and
 * shaped like AWS's, upper-case hex of 18 or 16 digits (alternating, since AWS's lengths vary:
 * the 16-digit form is the 18-digit one without its trailing "00").
 */
export function nextSequencer(bucket: string, key: string): string {
  const id = `${bucket}\u0000${key}`;
  const fromClock = (BigInt(Date.now()) << 28n) & ~0xffn;
  const previous = lastSequencer.get(id) ?? 0n;
  const value = fromClock > previous ? fromClock : previous + 0x100n;
  lastSequencer.set(id, value);
  const hex = value.toString(16).toUpperCase().padStart(18, '0');
  return sequencerCalls++ % 2 === 0 ? hex : hex.slice(0, 16);
}

const unquote = (etag: string | undefined): string | undefined => etag?.replace(/^"|"$/g, '') || undefined;
const randomRequestId = () => randomBytes(8).toString('hex').toUpperCase();

function envelope(
  detailType: S3DetailType,
  bucket: string,
  object: S3EventBridgeEvent['detail']['object'],
  extra: Pick<S3EventBridgeEvent['detail'], 'reason' | 'deletion-type'>,
  response: WithMetadata | undefined,
  opts: EventOptions,
): S3EventBridgeEvent {
  const account = opts.account ?? TEST_ACCOUNT;
  return {
    version: '0',
    id: randomUUID(),
    'detail-type': detailType,
    source: 'aws.s3',
    account,
    time: opts.time ?? new Date().toISOString().replace(/\.\d{3}Z$/, 'Z'),
    region: opts.region ?? process.env.LOCAL_S3_SOURCE_REGION ?? 'us-east-1',
    resources: [`arn:aws:s3:::${bucket}`],
    detail: {
      version: '0',
      bucket: { name: bucket },
      object,
      'request-id': opts.requestId ?? response?.$metadata?.requestId ?? randomRequestId(),
      requester: account,
      'source-ip-address': '127.0.0.1',
      ...extra,
    },
  };
}

function must<T>(value: T | undefined, what: string): T {
  if (value === undefined || value === '') throw new Error(`cannot build the event: the server response has no ${what}`);
  return value;
}

/**
 * "Object Created" from a PutObject/Upload/CopyObject result. RGW returns an empty ETag for
 * CompleteMultipartUpload: pass the HeadObject result (it has ETag and VersionId) instead.
 */
export function objectCreated(
  bucket: string,
  key: string,
  result: { ETag?: string; VersionId?: string } & WithMetadata,
  size: number,
  opts: EventOptions & { reason?: 'PutObject' | 'CompleteMultipartUpload' | 'CopyObject' | 'POST Object' } = {},
): S3EventBridgeEvent {
  const etag = must(unquote(result.ETag), 'ETag');
  return envelope(
    'Object Created',
    bucket,
    {
      key: encodeEventKey(key),
      size,
      etag,
      'version-id': must(result.VersionId, 'VersionId'),
      sequencer: opts.sequencer ?? nextSequencer(bucket, key),
    },
    { reason: opts.reason ?? (etag.includes('-') ? 'CompleteMultipartUpload' : 'PutObject') },
    result,
    opts,
  );
}

/** "Object Deleted" / "Delete Marker Created" from a DeleteObject (no VersionId) result. */
export function deleteMarkerCreated(
  bucket: string,
  key: string,
  result: Pick<DeleteObjectCommandOutput, 'DeleteMarker' | 'VersionId'> & WithMetadata,
  opts: EventOptions = {},
): S3EventBridgeEvent {
  if (result.DeleteMarker !== true) throw new Error('cannot build the event: DeleteObject did not create a delete marker');
  return envelope(
    'Object Deleted',
    bucket,
    {
      key: encodeEventKey(key),
      etag: EMPTY_ETAG,
      'version-id': must(result.VersionId, 'VersionId'),
      sequencer: opts.sequencer ?? nextSequencer(bucket, key),
    },
    { reason: 'DeleteObject', 'deletion-type': 'Delete Marker Created' },
    result,
    opts,
  );
}

/** "Object Deleted" / "Permanently Deleted": a version (or a delete marker) was deleted by id. */
export function permanentlyDeleted(
  bucket: string,
  key: string,
  versionId: string,
  opts: EventOptions & { response?: WithMetadata } = {},
): S3EventBridgeEvent {
  return envelope(
    'Object Deleted',
    bucket,
    { key: encodeEventKey(key), 'version-id': versionId, sequencer: opts.sequencer ?? nextSequencer(bucket, key) },
    { reason: 'DeleteObject', 'deletion-type': 'Permanently Deleted' },
    opts.response,
    opts,
  );
}

function tagsEvent(type: 'Object Tags Added' | 'Object Tags Deleted') {
  return (bucket: string, key: string, versionId: string, etag: string, opts: EventOptions & { response?: WithMetadata } = {}) =>
    envelope(
      type,
      bucket,
      { key: encodeEventKey(key), etag: must(unquote(etag), 'ETag'), 'version-id': versionId },
      {},
      opts.response,
      opts,
    );
}
export const tagsAdded = tagsEvent('Object Tags Added');
export const tagsDeleted = tagsEvent('Object Tags Deleted');

// ------------------------------------------------------------------ do it on the source, get the event

async function head(client: S3Client, bucket: string, key: string, versionId: string | undefined) {
  const h = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: must(versionId, 'VersionId') }));
  return { ETag: h.ETag, VersionId: h.VersionId ?? versionId, size: must(h.ContentLength, 'ContentLength') };
}

/** PutObject on the source, then the matching "Object Created" event (size and ETag from the server). */
export async function putAndEvent(client: S3Client, input: PutObjectCommandInput, opts: EventOptions = {}) {
  const result = await client.send(new PutObjectCommand(input));
  const h = await head(client, input.Bucket!, input.Key!, result.VersionId);
  return { result, event: objectCreated(input.Bucket!, input.Key!, { ...h, $metadata: result.$metadata }, h.size, opts) };
}

/** lib-storage Upload (multipart above partSize) on the source, then its "Object Created" event. */
export async function uploadAndEvent(
  client: S3Client,
  params: PutObjectCommandInput,
  options: Omit<UploadOptions, 'client' | 'params'> = {},
  opts: EventOptions = {},
) {
  const result = await new Upload({ client, params, ...options }).done();
  // RGW 16 answers CompleteMultipartUpload with an empty ETag: take it from HeadObject
  const h = await head(client, params.Bucket!, params.Key!, result.VersionId);
  return { result, event: objectCreated(params.Bucket!, params.Key!, { ...h, $metadata: result.$metadata }, h.size, opts) };
}

/**
 * DeleteObject on the source. Without versionId: a delete marker and its "Delete Marker Created"
 * event; with one: that version (or marker) is gone, "Permanently Deleted".
 */
export async function deleteAndEvent(client: S3Client, bucket: string, key: string, versionId?: string, opts: EventOptions = {}) {
  const result = await client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  const event =
    versionId === undefined
      ? deleteMarkerCreated(bucket, key, result, opts)
      : permanentlyDeleted(bucket, key, versionId, { ...opts, response: result });
  return { result, event };
}

/** PutObjectTagging on a source version, then its "Object Tags Added" event. */
export async function putTagsAndEvent(client: S3Client, bucket: string, key: string, versionId: string, tags: Tag[], opts: EventOptions = {}) {
  const result = await client.send(new PutObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId, Tagging: { TagSet: tags } }));
  const h = await head(client, bucket, key, versionId);
  return { result, event: tagsAdded(bucket, key, versionId, h.ETag ?? '', { ...opts, response: result }) };
}

/** DeleteObjectTagging on a source version, then its "Object Tags Deleted" event. */
export async function deleteTagsAndEvent(client: S3Client, bucket: string, key: string, versionId: string, opts: EventOptions = {}) {
  const result = await client.send(new DeleteObjectTaggingCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  const h = await head(client, bucket, key, versionId);
  return { result, event: tagsDeleted(bucket, key, versionId, h.ETag ?? '', { ...opts, response: result }) };
}

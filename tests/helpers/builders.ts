// Plain-data builders for unit tests: events, messages, listings, env, secrets, Lambda context.
// Each returns a fresh object, so a test may mutate what it gets.
import type { Context } from 'aws-lambda';
import type { ChangeMessage } from '../../src/events';
import type { ListedDeleteMarker, ListedVersion, SourceListing } from '../../src/core/source-state';

export const SOURCE_BUCKET = 'source-bucket';

export interface EventBridgeEventOptions {
  id?: string;
  detailType?: string;
  source?: string;
  time?: string;
  bucket?: string;
  /** Already form-URL-encoded, as S3 sends it. */
  key?: string;
  size?: number;
  etag?: string;
  versionId?: string;
  sequencer?: string;
  reason?: string;
  deletionType?: string;
}

/**
 * An EventBridge S3 event shaped as AWS sends it (S3 user guide, "EventBridge event message
 * structure"). A field set to undefined in `overrides` is left out of the event.
 */
export function eventBridgeEvent(overrides: EventBridgeEventOptions = {}): Record<string, unknown> {
  const o: EventBridgeEventOptions = {
    id: '17793124-05d4-b198-2fde-7ededc63b103',
    detailType: 'Object Created',
    source: 'aws.s3',
    time: '2021-11-12T00:00:00Z',
    bucket: SOURCE_BUCKET,
    key: 'photos/my+cat.jpg',
    size: 5,
    etag: 'b1946ac92492d2347c6235b4d2611184',
    versionId: 'IYV3p45BhZA3dW2ZOeNPfm1nKOONbQh3',
    sequencer: '00617F08299329D189',
    reason: 'PutObject',
    deletionType: overrides.detailType === 'Object Deleted' ? 'Delete Marker Created' : undefined,
    ...overrides,
  };
  return defined({
    version: '0',
    id: o.id,
    'detail-type': o.detailType,
    source: o.source,
    account: '123456789012',
    time: o.time,
    region: 'us-east-1',
    resources: [`arn:aws:s3:::${o.bucket}`],
    detail: defined({
      version: '0',
      bucket: { name: o.bucket },
      object: defined({ key: o.key, size: o.size, etag: o.etag, 'version-id': o.versionId, sequencer: o.sequencer }),
      'request-id': 'N4N7GDK58NMKJ12R',
      requester: '123456789012',
      'source-ip-address': '1.2.3.4',
      reason: o.reason,
      'deletion-type': o.deletionType,
    }),
  });
}

/** The object without its undefined fields (absent, as in JSON). */
function defined(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined));
}

/** A replication message as the relay sends it. */
export function changeMessage(overrides: Partial<ChangeMessage> = {}): ChangeMessage {
  return {
    v: 1,
    eventId: '17793124-05d4-b198-2fde-7ededc63b103',
    eventTime: '2021-11-12T00:00:00Z',
    type: 'created',
    bucket: SOURCE_BUCKET,
    key: 'photos/my cat.jpg',
    versionId: 'IYV3p45BhZA3dW2ZOeNPfm1nKOONbQh3',
    sequencer: '00617F08299329D189',
    etag: 'b1946ac92492d2347c6235b4d2611184',
    size: 5,
    reason: 'PutObject',
    ...overrides,
  };
}

/** A source object version as ListObjectVersions reports it. */
export function listedVersion(overrides: Partial<ListedVersion> = {}): ListedVersion {
  return {
    versionId: 'v1',
    etag: '"b1946ac92492d2347c6235b4d2611184"',
    size: 5,
    lastModified: new Date('2024-01-01T00:00:00Z'),
    isLatest: false,
    ...overrides,
  };
}

export function listedDeleteMarker(overrides: Partial<ListedDeleteMarker> = {}): ListedDeleteMarker {
  return { versionId: 'dm1', lastModified: new Date('2024-01-01T00:00:00Z'), isLatest: false, ...overrides };
}

/**
 * A listing of `count` versions one minute apart, newest first as S3 lists them, the newest
 * being current unless `currentIsMarker`. Version i (0 = oldest) has id `v<i>`.
 */
export function versionHistory(count: number, options: { start?: Date; currentIsMarker?: boolean } = {}): SourceListing {
  const start = options.start ?? new Date('2024-01-01T00:00:00Z');
  const versions: ListedVersion[] = [];
  for (let i = count - 1; i >= 0; i--) {
    versions.push(
      listedVersion({
        versionId: `v${i}`,
        etag: `"etag-${i}"`,
        lastModified: new Date(start.getTime() + i * 60_000),
        isLatest: !options.currentIsMarker && i === count - 1,
      }),
    );
  }
  const deleteMarkers = options.currentIsMarker
    ? [listedDeleteMarker({ lastModified: new Date(start.getTime() + count * 60_000), isLatest: true })]
    : [];
  return { versions, deleteMarkers };
}

/** A complete replicate environment (every required variable set). */
export function replicateEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return {
    TABLE_NAME: 'replication-state',
    DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/replicate-dlq.fifo',
    SOURCE_BUCKET,
    DESTINATIONS: JSON.stringify([
      { id: 'gov', bucket: 'dest-bucket', region: 'us-gov-west-1', secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:dest-abc' },
    ]),
    ...overrides,
  };
}

/** A complete relay environment. */
export function relayEnv(overrides: Record<string, string | undefined> = {}): Record<string, string | undefined> {
  return { QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/replicate.fifo', SOURCE_BUCKET, ...overrides };
}

export const SECRET_ACCESS_KEY = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
export const ACCESS_KEY_ID = 'AKIAIOSFODNN7EXAMPLE';

/** The destination credentials secret's JSON document (DESIGN §7). */
export function secretDocument(overrides: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    user: 'partition-s3-replicate',
    accesskey: ACCESS_KEY_ID,
    secretaccesskey: SECRET_ACCESS_KEY,
    partition: 'aws-us-gov',
    accountid: '210987654321',
    ...overrides,
  };
}

/** A Lambda context with a fixed deadline `remainingMs` from now. */
export function lambdaContext(overrides: Partial<Context> = {}, remainingMs = 60_000): Context {
  const deadline = Date.now() + remainingMs;
  return {
    callbackWaitsForEmptyEventLoop: true,
    functionName: 'partition-s3-replicate-relay',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:partition-s3-replicate-relay',
    memoryLimitInMB: '256',
    awsRequestId: 'c6af9ac6-7b61-11e6-9a41-93e812345678',
    logGroupName: '/aws/lambda/partition-s3-replicate-relay',
    logStreamName: '2024/01/01/[$LATEST]abcdef',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
    ...overrides,
  };
}

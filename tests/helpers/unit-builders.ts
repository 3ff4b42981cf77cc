// Builders and fakes for the unit tests of the converge/state/source/destination adapters and the
// replicate function: offline SDK clients (tests mock the instances), S3 listings as
// ListObjectVersions returns them, and an in-memory table behind a mocked DynamoDBDocumentClient.
import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DeleteMarkerEntry, HeadObjectCommandOutput, ListObjectVersionsCommandOutput, ObjectVersion } from '@aws-sdk/client-s3';
import { S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import type { BatchGetCommandInput, BatchWriteCommandInput, DeleteCommandInput, GetCommandInput, PutCommandInput, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { BatchGetCommand, BatchWriteCommand, DeleteCommand, DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { AwsClientStub } from 'aws-sdk-client-mock';
import type { DestinationConfig } from '../../src/config';
import type { CopyRequest, CopyResult } from '../../src/copy/types';
import { REPLICA_METADATA_KEY } from '../../src/aws/destination';

export const TABLE_NAME = 'replication-state';
/** Start of the test timeline: version i of a listing is written i minutes later. */
export const T0 = new Date('2024-01-01T00:00:00Z');
const OFFLINE = { credentials: { accessKeyId: 'test', secretAccessKey: 'test' } };

/** An S3 client that never reaches the network: tests mock the instance. */
export function offlineS3(region = 'us-east-1'): S3Client {
  return new S3Client({ region, ...OFFLINE });
}

/** A document client built as src/aws/clients.ts builds it, over an offline DynamoDBClient. */
export function offlineDocuments(): DynamoDBDocumentClient {
  const client = new DynamoDBClient({ region: 'us-east-1', ...OFFLINE });
  return DynamoDBDocumentClient.from(client, { marshallOptions: { removeUndefinedValues: true } });
}

/** An S3 error as the SDK throws it (no class exists for some codes, e.g. AccessDenied). */
export function s3Error(name: string, status: number): S3ServiceException {
  return new S3ServiceException({ name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status }, message: `${name} (test)` });
}

export function conditionalCheckFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: { httpStatusCode: 400 } });
}

export function destinationConfig(overrides: Partial<DestinationConfig> = {}): DestinationConfig {
  return {
    id: 'gov',
    bucket: 'dest-bucket',
    secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:dest-abc',
    sourcePrefix: '',
    destinationPrefix: '',
    deleteMarkers: true,
    permanentDeletes: true,
    lifecycleExpirations: false,
    ...overrides,
  };
}

export const minutes = (n: number): Date => new Date(T0.getTime() + n * 60_000);

export interface EntryOptions {
  key?: string;
  /** Minutes after T0; default: the number in the version id (v3 -> 3). */
  minute?: number;
  isLatest?: boolean;
  etag?: string;
  size?: number;
}

const minuteOf = (versionId: string) => Number(/\d+/.exec(versionId)?.[0] ?? 0);

/** An object version entry as ListObjectVersions returns it; ETag `"etag-<id>"`, size 100 x (n + 1). */
/** Keys as ListObjectVersions returns them with EncodingType=url (the engine always asks for it). */
export const urlEncodedKey = (key: string): string => encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');

export function s3Version(key: string, versionId: string, options: EntryOptions = {}): ObjectVersion {
  const n = minuteOf(versionId);
  return {
    Key: urlEncodedKey(options.key ?? key),
    VersionId: versionId,
    ETag: options.etag ?? `"etag-${versionId}"`,
    Size: options.size ?? 100 * (n + 1),
    LastModified: minutes(options.minute ?? n),
    IsLatest: options.isLatest ?? false,
    StorageClass: 'STANDARD',
  };
}

export function s3Marker(key: string, versionId: string, options: EntryOptions = {}): DeleteMarkerEntry {
  return { Key: urlEncodedKey(options.key ?? key), VersionId: versionId, LastModified: minutes(options.minute ?? minuteOf(versionId)), IsLatest: options.isLatest ?? false };
}

/** One ListObjectVersions page (untruncated unless `more` says where the next page starts). */
export function versionsPage(
  versions: ObjectVersion[],
  deleteMarkers: DeleteMarkerEntry[] = [],
  more?: { keyMarker: string; versionIdMarker: string },
): ListObjectVersionsCommandOutput {
  return {
    $metadata: {},
    Versions: versions,
    DeleteMarkers: deleteMarkers,
    IsTruncated: more !== undefined,
    ...(more && { NextKeyMarker: more.keyMarker, NextVersionIdMarker: more.versionIdMarker }),
  };
}

/**
 * The versions `ids` of `key` (newest first, as S3 lists them), the first one current unless a
 * delete marker is current.
 */
export function sourceVersions(key: string, ids: string[], options: { currentMarker?: string; markers?: string[] } = {}): ListObjectVersionsCommandOutput {
  const versions = ids.map((id, i) => s3Version(key, id, { isLatest: options.currentMarker === undefined && i === 0 }));
  const markers = [
    ...(options.currentMarker !== undefined ? [s3Marker(key, options.currentMarker, { isLatest: true })] : []),
    ...(options.markers ?? []).map((id) => s3Marker(key, id)),
  ];
  return versionsPage(versions, markers);
}

/** What the replica marker metadata of a copy of source version `versionId` (listed by s3Version) holds. */
export const replicaTagOf = (versionId: string): string => `${versionId};etag-${versionId}`;

/** HeadObject of a destination object that is a replica of source version `sourceVersionId`. */
export function replicaHead(sourceVersionId: string, destinationVersionId: string | undefined): HeadObjectCommandOutput {
  return { $metadata: {}, VersionId: destinationVersionId, ETag: `"etag-${sourceVersionId}"`, Metadata: { [REPLICA_METADATA_KEY]: replicaTagOf(sourceVersionId) } };
}

/** A copy engine stand-in: the destination version of source version X is `d-X`. */
export function fakeCopy(options: { versioned?: boolean } = {}): jest.Mock<Promise<CopyResult>, [CopyRequest]> {
  return jest.fn((request: CopyRequest) =>
    Promise.resolve({
      versionId: options.versioned === false ? undefined : `d-${request.source.version.versionId}`,
      etag: request.source.version.etag,
      bytes: request.source.version.size,
      parts: 1,
      resumed: false,
    }),
  );
}

type Item = Record<string, unknown>;
export type DocumentsMock = AwsClientStub<DynamoDBDocumentClient>;

/**
 * A tiny in-memory table behind a mocked DynamoDBDocumentClient: Get, Put (with the two condition
 * expressions the state store uses), Query (begins_with on sk) and Delete. Undefined attributes
 * are dropped, as removeUndefinedValues does. Unknown expressions throw, so a changed query is
 * noticed rather than silently matched.
 */
export class MemoryTable {
  public readonly items = new Map<string, Item>();

  public constructor(mock: DocumentsMock) {
    mock.on(GetCommand).callsFake((input: GetCommandInput) => {
      const item = this.items.get(this.id(input.Key!));
      return Promise.resolve({ $metadata: {}, ...(item && { Item: structuredClone(item) }) });
    });
    mock.on(PutCommand).callsFake((input: PutCommandInput) => {
      const item = Object.fromEntries(Object.entries(input.Item!).filter(([, v]) => v !== undefined));
      const existing = this.items.get(this.id(item));
      if (input.ConditionExpression !== undefined && !this.holds(input.ConditionExpression, existing, input.ExpressionAttributeValues ?? {})) {
        return Promise.reject(conditionalCheckFailed());
      }
      this.items.set(this.id(item), structuredClone(item));
      return Promise.resolve({ $metadata: {} });
    });
    mock.on(DeleteCommand).callsFake((input: DeleteCommandInput) => {
      this.items.delete(this.id(input.Key!));
      return Promise.resolve({ $metadata: {} });
    });
    mock.on(BatchGetCommand).callsFake((input: BatchGetCommandInput) => {
      const responses = Object.fromEntries(
        Object.entries(input.RequestItems ?? {}).map(([table, request]) => [
          table,
          (request.Keys ?? [])
            .map((key) => this.items.get(this.id(key)))
            .filter((item): item is Item => item !== undefined)
            .map((item) => (request.ProjectionExpression === 'sk' ? { sk: item.sk } : structuredClone(item))),
        ]),
      );
      return Promise.resolve({ $metadata: {}, Responses: responses });
    });
    mock.on(QueryCommand).callsFake((input: QueryCommandInput) => {
      // Only the engine's query: every item of one partition, sorted by sk.
      if (input.KeyConditionExpression !== 'pk = :pk') throw new Error(`unexpected query ${input.KeyConditionExpression}`);
      const pk: unknown = input.ExpressionAttributeValues?.[':pk'];
      const items = [...this.items.values()].filter((item) => item.pk === pk).sort((a, b) => String(a.sk).localeCompare(String(b.sk)));
      return Promise.resolve({ $metadata: {}, Items: items.map((item) => structuredClone(item)) });
    });
    mock.on(BatchWriteCommand).callsFake((input: BatchWriteCommandInput) => {
      for (const requests of Object.values(input.RequestItems ?? {})) {
        for (const request of requests) {
          if (request.PutRequest?.Item) this.put(Object.fromEntries(Object.entries(request.PutRequest.Item).filter(([, v]) => v !== undefined)));
          if (request.DeleteRequest?.Key) this.items.delete(this.id(request.DeleteRequest.Key));
        }
      }
      return Promise.resolve({ $metadata: {} });
    });
  }

  public put(item: Item): void {
    this.items.set(this.id(item), structuredClone(item));
  }

  public get(pk: string, sk: string): Item | undefined {
    return this.items.get(this.id({ pk, sk }));
  }

  /** Sort keys of one partition, sorted. */
  public sortKeys(pk: string): string[] {
    return [...this.items.values()].filter((item) => item.pk === pk).map((item) => String(item.sk)).sort();
  }

  private id(key: Record<string, unknown>): string {
    return `${String(key.pk)}\u0000${String(key.sk)}`;
  }

  private holds(expression: string, existing: Item | undefined, values: Record<string, unknown>): boolean {
    if (expression === 'attribute_not_exists(pk)') return existing === undefined;
    if (expression === 'revision = :previous') return existing !== undefined && existing.revision === values[':previous'];
    throw new Error(`unexpected condition ${expression}`);
  }
}

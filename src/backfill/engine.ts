import type { S3Client } from '@aws-sdk/client-s3';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { VersioningCache } from '../aws/destination';
import type { KeyItems, StateWriteSink } from '../aws/state';
import { KeyStateStore } from '../aws/state';
import type { KeyItemsRequest } from '../aws/state-batch';
import { readKeysItems } from '../aws/state-batch';
import type { DestinationConfig, ReplicateConfig } from '../config';
import { copyVersion } from '../copy/copy-version';
import { PartBuffers } from '../copy/part-buffers';
import type { KeyRequest, KeyResult } from '../engine/converge';
import { convergeKey } from '../engine/converge';

/** Runs work with an S3 client of a destination: DestinationClients (keys from the secret) or a profile's client. */
export interface DestinationAccess {
  withClient<T>(destination: DestinationConfig, work: (client: S3Client) => Promise<T>): Promise<T>;
}

export interface KeyEngineDependencies {
  config: ReplicateConfig;
  source: S3Client;
  documents: DynamoDBDocumentClient;
  destinations: DestinationAccess;
  /** Where the keys' writes go: shared batches (a direct backfill), or one BatchWriteItem a key. */
  writes?: StateWriteSink;
}

/**
 * The replicate function's read → plan → execute for one key, outside Lambda: what `verify`,
 * `status`, a direct `backfill` and `reconcile` run per key. Same engine, same table, same
 * version map as the function; no deadline (nothing to checkpoint), and one part-buffer budget
 * shared by every copy running at once.
 */
export class KeyEngine {
  private readonly versioning = new VersioningCache();
  private readonly buffers: PartBuffers;

  public constructor(private readonly deps: KeyEngineDependencies) {
    this.buffers = new PartBuffers(deps.config.copyMemoryBudgetBytes);
  }

  /** The table items of many keys on this destination, in bulk (BatchGetItem). */
  public prefetch(destination: DestinationConfig, requests: readonly KeyItemsRequest[]): Promise<Map<string, KeyItems>> {
    const { config, documents } = this.deps;
    return readKeysItems(documents, config.tableName, { destinationId: destination.id, bucket: config.sourceBucket }, requests);
  }

  /** `override` changes the destination's delete options for this run (reconcile --delete-extras). */
  public run(destination: DestinationConfig, request: Omit<KeyRequest, 'bucket'>, override: Partial<Pick<DestinationConfig, 'permanentDeletes'>> = {}): Promise<KeyResult> {
    const { config } = this.deps;
    const dest = { ...destination, ...override };
    return this.deps.destinations.withClient(destination, async (client) =>
      convergeKey(
        { ...request, bucket: config.sourceBucket },
        {
          source: this.deps.source,
          destination: dest,
          destinationClient: client,
          destinationVersioned: await this.versioning.isVersioned(client, destination.bucket, destination.id),
          store: new KeyStateStore(this.deps.documents, config.tableName, destination.id, config.sourceBucket, request.key, this.deps.writes),
          historyMode: config.historyMode,
          replicateSince: config.replicateSince,
          copy: (copy) => copyVersion({ ...copy, buffers: this.buffers }),
          copyLimits: { partsInFlight: config.partsInFlight, memoryBudgetBytes: config.copyMemoryBudgetBytes, checkpointMarginMs: 0 },
          // No invocation deadline: a copy runs to its end.
          remainingTimeMs: () => Number.MAX_SAFE_INTEGER,
        },
      ),
    );
  }
}

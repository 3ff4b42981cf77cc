import type { S3Client } from '@aws-sdk/client-s3';
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { ReplicateConfig } from '../config';
import type { Output } from './output';
import type { DestinationAccess } from '../backfill/engine';

/** What every command works with: built once by main.ts, or by a test against local servers. */
export interface CliContext {
  config: ReplicateConfig;
  source: S3Client;
  sqs: SQSClient;
  documents: DynamoDBDocumentClient;
  destinations: DestinationAccess;
  out: Output;
}

/** Exit statuses: 0 only when nothing is left to do. */
export const EXIT = { done: 0, differences: 1, usage: 2 } as const;

import { DestinationClients, secretsClient, sourceS3Client, sqsClient } from '../aws/clients';
import { CredentialsCache } from '../aws/credentials';
import { createBackfillHandler } from '../backfill/function';
import { loadReplicateConfig } from '../config';

// Read at cold start: a bad configuration fails here, naming the variable. Same variables as replicate.
const config = loadReplicateConfig(process.env);
const source = sourceS3Client(config.endpoints);

export const handler = createBackfillHandler({
  config,
  sqs: sqsClient(config.endpoints),
  source,
  reports: source,
  destinations: new DestinationClients(new CredentialsCache(secretsClient(config.endpoints), config.secretCacheTtlMs), config.endpoints),
});

import { DestinationClients, documentClient, secretsClient, snsClient, sourceS3Client, sqsClient } from '../aws/clients';
import { loadReplicateConfig } from '../config';
import { copyVersion } from '../copy/copy-version';
import { CredentialsCache } from '../aws/credentials';
import { createReplicateHandler } from '../functions/replicate-function';

// Read at cold start: a bad configuration fails here, naming the variable.
const config = loadReplicateConfig(process.env);

export const handler = createReplicateHandler({
  config,
  source: sourceS3Client(config.endpoints),
  documents: documentClient(config.endpoints),
  sqs: sqsClient(config.endpoints),
  destinations: new DestinationClients(new CredentialsCache(secretsClient(config.endpoints), config.secretCacheTtlMs), config.endpoints),
  copy: copyVersion,
  ...(config.failureTopicArn !== undefined && { sns: snsClient(config.endpoints) }),
});

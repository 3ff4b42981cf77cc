// The replicate handler in a process of its own, for the crash experiments: the parent kills it
// (SIGKILL) at random times or right after a server reply, as Lambda loses an instance. It is
// configured by its environment like the real function; Secrets Manager, which has no local
// server, is aws-sdk-client-mock answering FAULT_SECRET_JSON. Invocations arrive over IPC.
import '../helpers/quiet-powertools';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import type { SQSEvent } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { DestinationClients, documentClient, sourceS3Client, sqsClient } from '../../src/aws/clients';
import { CredentialsCache } from '../../src/aws/credentials';
import { loadReplicateConfig } from '../../src/config';
import { copyVersion } from '../../src/copy/copy-version';
import { createReplicateHandler } from '../../src/functions/replicate-function';
import { lambdaContext } from '../helpers/lambda';

interface Invocation {
  id: number;
  event: SQSEvent;
  deadline: number;
}

const config = loadReplicateConfig(process.env);
const secrets = new SecretsManagerClient({ region: 'us-east-1' });
mockClient(secrets)
  .on(GetSecretValueCommand)
  .callsFake(() => ({ SecretString: process.env.FAULT_SECRET_JSON }));
const handler = createReplicateHandler({
  config,
  source: sourceS3Client(config.endpoints),
  documents: documentClient(config.endpoints),
  sqs: sqsClient(config.endpoints),
  destinations: new DestinationClients(new CredentialsCache(secrets, config.secretCacheTtlMs), config.endpoints),
  copy: copyVersion,
});

process.on('message', (message: Invocation) => {
  void (async () => {
    try {
      const response: unknown = await handler(message.event, lambdaContext(() => Math.max(0, message.deadline - Date.now())));
      process.send?.({ id: message.id, response });
    } catch (error) {
      process.send?.({ id: message.id, error: error instanceof Error ? error.name : 'Error' });
    }
  })();
});
process.send?.({ ready: true });

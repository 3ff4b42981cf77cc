import { sqsClient } from '../aws/clients';
import { loadRelayConfig } from '../config';
import { createRelayHandler } from '../functions/relay-function';

// Read at cold start: a bad configuration fails here, naming the variable.
const config = loadRelayConfig(process.env);

export const handler = createRelayHandler({ config, sqs: sqsClient(config.endpoints) });

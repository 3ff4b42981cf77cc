import { sqsClient } from '../clients';
import { loadRelayConfig } from '../config';
import { createRelayHandler } from '../relay-function';

// Read at cold start: a bad configuration fails here, naming the variable.
const config = loadRelayConfig(process.env);

export const handler = createRelayHandler({ config, sqs: sqsClient(config.endpoints) });

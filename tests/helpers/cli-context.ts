import { documentClient, sourceS3Client } from '../../src/aws/clients';
import type { CliContext } from '../../src/cli/context';
import { memoryOutput } from '../../src/cli/output';
import { LocalDestinations } from '../../src/cli/settings';
import { localEnv } from './local-env';
import type { Pipeline } from './pipeline';

/** The CLI's context on a test pipeline: its configuration, the destination user's keys as local credentials, output kept in memory. */
export function cliContext(p: Pipeline): CliContext & { out: ReturnType<typeof memoryOutput> } {
  const env = localEnv();
  return {
    config: p.config,
    source: sourceS3Client(p.config.endpoints),
    sqs: p.sqs,
    documents: documentClient(p.config.endpoints),
    destinations: new LocalDestinations({ accessKeyId: env.dest.accessKeyId, secretAccessKey: env.dest.secretAccessKey }, p.config),
    out: memoryOutput(true),
  };
}

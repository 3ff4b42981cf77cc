import type { ConfigError } from '../../../src/errors';
import { DestinationClients } from '../../../src/aws/clients';
import { LocalDestinations, destinationAccess, loadCliConfig } from '../../../src/cli/settings';

const ENV = {
  TABLE_NAME: 'state',
  DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/r-dlq.fifo',
  SOURCE_BUCKET: 'env-bucket',
  DESTINATIONS: JSON.stringify([{ id: 'gov', bucket: 'dest-bucket', secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:d' }]),
};

describe('loadCliConfig', () => {
  it('reads the function’s variables, and a flag wins over its variable', () => {
    expect(loadCliConfig(ENV, {}).sourceBucket).toBe('env-bucket');
    const config = loadCliConfig(ENV, { 'source-bucket': 'flag-bucket', 'history-mode': 'latest', 'queue-url': 'https://sqs.us-east-1.amazonaws.com/111122223333/r.fifo' });
    expect(config.sourceBucket).toBe('flag-bucket');
    expect(config.historyMode).toBe('latest');
    expect(config.queueUrl).toBe('https://sqs.us-east-1.amazonaws.com/111122223333/r.fifo');
  });

  it('names the variable and its flag when one is missing or bad, never the value', () => {
    const { TABLE_NAME: _, ...withoutTable } = ENV;
    expect(() => loadCliConfig(withoutTable, {})).toThrow('TABLE_NAME (or --table): is required');
    const bad = (() => {
      try {
        loadCliConfig(ENV, { destinations: '[{"id":"x","bucket":"B!","secretArn":"s3cr3t-arn"}]' });
      } catch (error) {
        return error as ConfigError;
      }
      throw new Error('no error');
    })();
    expect(bad.variable).toBe('DESTINATIONS (or --destinations)');
    expect(bad.message).not.toContain('s3cr3t-arn');
  });
});

describe('destinationAccess', () => {
  const config = loadCliConfig(ENV, {});
  it('uses the secret’s keys by default, as the function does', () => {
    expect(destinationAccess(config, undefined, {})).toBeInstanceOf(DestinationClients);
  });
  it('uses a profile or explicit keys for local use', () => {
    expect(destinationAccess(config, 'dest-profile', {})).toBeInstanceOf(LocalDestinations);
    expect(destinationAccess(config, undefined, { DESTINATION_AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE00000001', DESTINATION_AWS_SECRET_ACCESS_KEY: 'x'.repeat(40) })).toBeInstanceOf(LocalDestinations);
  });
  it('refuses half a key pair, naming the missing variable', () => {
    expect(() => destinationAccess(config, undefined, { DESTINATION_AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE00000001' })).toThrow(/DESTINATION_AWS_SECRET_ACCESS_KEY/);
  });
});

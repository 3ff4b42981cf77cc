import { loadRelayConfig, loadReplicateConfig } from '../../src/config';
import { ConfigError } from '../../src/errors';
import { ACCESS_KEY_ID, SECRET_ACCESS_KEY, relayEnv, replicateEnv } from '../helpers/builders';

const GOV_SECRET = 'arn:aws-us-gov:secretsmanager:us-gov-west-1:210987654321:secret:dest-abc';

function configError(act: () => unknown): ConfigError {
  try {
    act();
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('loadReplicateConfig', () => {
  it('reads a complete environment', () => {
    // Prepare
    const env = replicateEnv({
      QUEUE_URL: 'https://sqs.us-east-1.amazonaws.com/123456789012/replicate.fifo',
      DESTINATIONS: JSON.stringify([
        {
          id: 'gov',
          bucket: 'dest.bucket-1',
          region: 'us-gov-east-1',
          secretArn: GOV_SECRET,
          sourcePrefix: 'in/',
          destinationPrefix: 'replica/',
          storageClass: 'STANDARD_IA',
          kmsKeyId: 'alias/replica',
          deleteMarkers: false,
          permanentDeletes: false,
          lifecycleExpirations: true,
        },
        { id: 'cn', bucket: 'cn-bucket', secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cn' },
      ]),
      HISTORY_MODE: 'latest',
      REPLICATE_SINCE: '2024-05-01T12:30:00Z',
      PARTS_IN_FLIGHT: '8',
      RECORDS_IN_FLIGHT: '3',
      CHECKPOINT_MARGIN_SECONDS: '90',
      SECRET_CACHE_TTL_SECONDS: '120',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: '2048',
      SOURCE_S3_ENDPOINT: 'http://127.0.0.1:7480',
      DESTINATION_S3_ENDPOINT: 'http://127.0.0.1:7481',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
      SQS_ENDPOINT: 'http://127.0.0.1:9324',
      SECRETS_MANAGER_ENDPOINT: 'http://127.0.0.1:4566',
      SNS_ENDPOINT: 'http://127.0.0.1:4567',
      S3_FORCE_PATH_STYLE: 'true',
      FAILURE_TOPIC_ARN: 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:replication-failures',
      MAX_RECEIVE_COUNT: '5',
    });

    // Act
    const config = loadReplicateConfig(env);

    // Assess
    expect(config).toEqual({
      tableName: 'replication-state',
      dlqUrl: env.DLQ_URL,
      queueUrl: env.QUEUE_URL,
      sourceBucket: 'source-bucket',
      destinations: [
        {
          id: 'gov',
          bucket: 'dest.bucket-1',
          region: 'us-gov-east-1',
          secretArn: GOV_SECRET,
          sourcePrefix: 'in/',
          destinationPrefix: 'replica/',
          storageClass: 'STANDARD_IA',
          kmsKeyId: 'alias/replica',
          deleteMarkers: false,
          permanentDeletes: false,
          lifecycleExpirations: true,
        },
        {
          id: 'cn',
          bucket: 'cn-bucket',
          secretArn: 'arn:aws:secretsmanager:us-east-1:123456789012:secret:cn',
          sourcePrefix: '',
          destinationPrefix: '',
          deleteMarkers: true,
          permanentDeletes: true,
          lifecycleExpirations: false,
        },
      ],
      historyMode: 'latest',
      replicateSince: new Date(Date.UTC(2024, 4, 1, 12, 30)),
      partsInFlight: 8,
      recordsInFlight: 3,
      checkpointMarginMs: 90_000,
      secretCacheTtlMs: 120_000,
      copyMemoryBudgetBytes: 1024 * 1024 * 1024,
      failureTopicArn: 'arn:aws-us-gov:sns:us-gov-west-1:123456789012:replication-failures',
      maxReceiveCount: 5,
      endpoints: {
        sourceS3: 'http://127.0.0.1:7480',
        destinationS3: 'http://127.0.0.1:7481',
        dynamodb: 'http://127.0.0.1:8000',
        sqs: 'http://127.0.0.1:9324',
        secretsManager: 'http://127.0.0.1:4566',
        sns: 'http://127.0.0.1:4567',
        forcePathStyle: true,
      },
    });
  });

  it('applies the documented defaults', () => {
    // Act
    const config = loadReplicateConfig(replicateEnv());

    // Assess
    expect(config.queueUrl).toBeUndefined();
    expect(config.historyMode).toBe('all');
    expect(config.replicateSince.getTime()).toBe(0);
    expect(config.partsInFlight).toBe(4);
    expect(config.recordsInFlight).toBe(10);
    expect(config.checkpointMarginMs).toBe(60_000);
    expect(config.secretCacheTtlMs).toBe(300_000);
    expect(config.copyMemoryBudgetBytes).toBe(512 * 1024 * 1024);
    expect(config.endpoints).toEqual({ forcePathStyle: false });
    expect(config.destinations[0]).toMatchObject({ sourcePrefix: '', destinationPrefix: '', deleteMarkers: true, permanentDeletes: true, lifecycleExpirations: false });
  });

  it('treats an empty variable as unset', () => {
    // Act
    const config = loadReplicateConfig(replicateEnv({ HISTORY_MODE: '', PARTS_IN_FLIGHT: '', S3_FORCE_PATH_STYLE: '', SOURCE_S3_ENDPOINT: '' }));

    // Assess
    expect(config.historyMode).toBe('all');
    expect(config.partsInFlight).toBe(4);
    expect(config.endpoints.forcePathStyle).toBe(false);
    expect(config.endpoints.sourceS3).toBeUndefined();
  });

  it('reads S3_FORCE_PATH_STYLE=false as false', () => {
    // Act
    const config = loadReplicateConfig(replicateEnv({ S3_FORCE_PATH_STYLE: 'false' }));

    // Assess
    expect(config.endpoints.forcePathStyle).toBe(false);
  });

  it('returns a frozen object, down to destinations and endpoints', () => {
    // Act
    const config = loadReplicateConfig(replicateEnv());

    // Assess
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.destinations)).toBe(true);
    expect(Object.isFrozen(config.destinations[0])).toBe(true);
    expect(Object.isFrozen(config.endpoints)).toBe(true);
    expect(() => {
      (config as { historyMode: string }).historyMode = 'latest';
    }).toThrow(TypeError);
  });

  it.each(['TABLE_NAME', 'DLQ_URL', 'SOURCE_BUCKET', 'DESTINATIONS'])('fails naming %s when it is missing or empty', (variable) => {
    // Act
    const missing = configError(() => loadReplicateConfig(replicateEnv({ [variable]: undefined })));
    const empty = configError(() => loadReplicateConfig(replicateEnv({ [variable]: '' })));

    // Assess
    for (const error of [missing, empty]) {
      expect(error.variable).toBe(variable);
      expect(error.message).toMatch(new RegExp(`^${variable}: .*is required`));
    }
  });

  it.each([
    ['DLQ_URL', 'not a url', 'must be a URL'],
    ['QUEUE_URL', 'queue', 'must be a URL'],
    ['SOURCE_BUCKET', 'Bad_Bucket', 'must be an S3 bucket name'],
    ['HISTORY_MODE', 'other', 'must be all or latest'],
    ['REPLICATE_SINCE', '2024-05-01', 'must be an ISO-8601 timestamp'],
    ['REPLICATE_SINCE', 'yesterday', 'must be an ISO-8601 timestamp'],
    ['PARTS_IN_FLIGHT', '0', 'must be at least 1'],
    ['PARTS_IN_FLIGHT', '65', 'must be at most 64'],
    ['PARTS_IN_FLIGHT', '2.5', 'must be a whole number'],
    ['PARTS_IN_FLIGHT', 'four', 'must be a number'],
    ['RECORDS_IN_FLIGHT', '0', 'must be at least 1'],
    ['RECORDS_IN_FLIGHT', '101', 'must be at most 100'],
    ['FAILURE_TOPIC_ARN', 'arn:aws:sqs:us-east-1:123456789012:queue', 'must be an SNS topic ARN'],
    ['MAX_RECEIVE_COUNT', '0', 'must be at least 1'],
    ['CHECKPOINT_MARGIN_SECONDS', '-5', 'must be at least 1'],
    ['SECRET_CACHE_TTL_SECONDS', '86401', 'must be at most 86400'],
    ['AWS_LAMBDA_FUNCTION_MEMORY_SIZE', '0', 'must be at least 1'],
    ['S3_FORCE_PATH_STYLE', 'yes', 'must be true or false'],
    ['DESTINATION_S3_ENDPOINT', '127.0.0.1:7481', 'must be a URL'],
  ])('fails naming %s when it is %p', (variable, value, rule) => {
    // Act
    const error = configError(() => loadReplicateConfig(replicateEnv({ [variable]: value })));

    // Assess
    expect(error.variable).toBe(variable);
    expect(error.message).toBe(`${variable}: ${rule}`);
  });

  describe('DESTINATIONS', () => {
    const destination = { id: 'gov', bucket: 'dest-bucket', secretArn: GOV_SECRET };
    const load = (destinations: string) => configError(() => loadReplicateConfig(replicateEnv({ DESTINATIONS: destinations })));

    it('fails when it is not JSON, without echoing the text', () => {
      // Prepare: a truncated document that holds something secret-looking
      const text = `[{"id":"gov","bucket":"dest-bucket","secretArn":"${SECRET_ACCESS_KEY}"`;

      // Act
      const error = load(text);

      // Assess
      expect(error.message).toBe('DESTINATIONS: is not valid JSON');
      expect(error.message).not.toContain(SECRET_ACCESS_KEY);
    });

    it.each([
      ['an empty array', [], 'must name at least one destination'],
      ['an object instead of an array', destination, 'must be a JSON array of destination objects'],
      ['duplicate ids', [destination, { ...destination, bucket: 'other-bucket' }], 'destination ids must be unique'],
      ['a bad bucket name', [{ ...destination, bucket: 'Dest_Bucket' }], '0.bucket: must be an S3 bucket name'],
      ['a bad region in the second destination', [destination, { ...destination, id: 'b', region: 'mars-north-1' }], '1.region: must be an AWS region'],
      ['a bad id', [{ ...destination, id: 'has space' }], '0.id: must be 1-64 letters'],
      ['no bucket', [{ id: 'gov', secretArn: GOV_SECRET }], '0.bucket: is required'],
      ['no secretArn', [{ id: 'gov', bucket: 'dest-bucket' }], '0.secretArn'],
      ['a non-boolean flag', [{ ...destination, deleteMarkers: 'yes' }], '0.deleteMarkers'],
    ])('fails on %s', (_name, value, rule) => {
      // Act
      const error = load(JSON.stringify(value));

      // Assess
      expect(error.variable).toBe('DESTINATIONS');
      expect(error.message).toContain(rule);
    });

    it('rejects an unknown field, naming the field but never its value', () => {
      // Prepare: someone pastes keys into the destination list
      const text = JSON.stringify([{ ...destination, accessKeyId: ACCESS_KEY_ID, secretAccessKey: SECRET_ACCESS_KEY }]);

      // Act
      const error = load(text);

      // Assess
      expect(error.message).toContain('secretAccessKey');
      expect(error.message).not.toContain(SECRET_ACCESS_KEY);
      expect(error.message).not.toContain(ACCESS_KEY_ID);
    });

    it('never echoes a secret-looking value placed in a field it rejects', () => {
      // Prepare: secret values where the schema wants something else
      const text = JSON.stringify([
        { ...destination, id: SECRET_ACCESS_KEY, bucket: ACCESS_KEY_ID, region: SECRET_ACCESS_KEY, storageClass: SECRET_ACCESS_KEY, secretArn: 12345, kmsKeyId: '' },
      ]);

      // Act
      const error = load(text);

      // Assess
      expect(error.message).toContain('0.id');
      expect(error.message).toContain('0.bucket');
      expect(error.message).toContain('0.region');
      expect(error.message).toContain('0.storageClass');
      expect(error.message).not.toContain(SECRET_ACCESS_KEY);
      expect(error.message).not.toContain(ACCESS_KEY_ID);
      expect(error.cause).toBeUndefined();
    });
  });
});

describe('loadRelayConfig', () => {
  it('reads a complete environment and applies defaults', () => {
    // Act
    const config = loadRelayConfig(relayEnv({ SQS_ENDPOINT: 'http://127.0.0.1:9324' }));

    // Assess
    expect(config).toEqual({
      queueUrl: 'https://sqs.us-east-1.amazonaws.com/123456789012/replicate.fifo',
      sourceBucket: 'source-bucket',
      endpoints: { sqs: 'http://127.0.0.1:9324', forcePathStyle: false },
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.endpoints)).toBe(true);
  });

  it('needs none of the replicate variables', () => {
    // Act
    const config = loadRelayConfig({ ...relayEnv(), TABLE_NAME: undefined, DESTINATIONS: 'not json' });

    // Assess
    expect(config.sourceBucket).toBe('source-bucket');
  });

  it.each(['QUEUE_URL', 'SOURCE_BUCKET'])('fails naming %s when it is missing', (variable) => {
    // Act
    const error = configError(() => loadRelayConfig(relayEnv({ [variable]: undefined })));

    // Assess
    expect(error.variable).toBe(variable);
    expect(error.message.startsWith(`${variable}: `)).toBe(true);
  });

  it('fails naming QUEUE_URL when it is not a URL', () => {
    // Act
    const error = configError(() => loadRelayConfig(relayEnv({ QUEUE_URL: 'replicate.fifo' })));

    // Assess
    expect(error.message).toBe('QUEUE_URL: must be a URL');
  });
});

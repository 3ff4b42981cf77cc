import type * as Observability from '../../src/observability';

/** Loads src/observability.ts afresh under `env` (Powertools reads its variables at construction). */
function loadWith(env: Record<string, string | undefined>): typeof Observability {
  const saved = { ...process.env };
  Object.assign(process.env, { POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_METRICS_DISABLED: 'true' });
  for (const [name, value] of Object.entries(env)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
  try {
    let loaded: typeof Observability | undefined;
    jest.isolateModules(() => {
      loaded = jest.requireActual<typeof Observability>('../../src/observability');
    });
    return loaded!;
  } finally {
    process.env = saved;
  }
}

/** The JSON line `log` writes. */
function lineOf(log: () => void): Record<string, unknown> {
  const written: string[] = [];
  const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk) => (written.push(String(chunk)), true));
  try {
    log();
  } finally {
    spy.mockRestore();
  }
  return JSON.parse(written.join('').trim()) as Record<string, unknown>;
}

/** The CloudWatch namespace of the EMF document the metrics would publish. */
function namespaceOf(metrics: typeof Observability.metrics): unknown {
  metrics.addMetric('Probe', 'Count', 1);
  const emf = metrics.serializeMetrics() as unknown as { _aws: { CloudWatchMetrics: { Namespace: string }[] } };
  metrics.clearMetrics();
  return emf._aws.CloudWatchMetrics[0]?.Namespace;
}

describe('observability', () => {
  it('takes the service name and metrics namespace from the POWERTOOLS_* variables when set', () => {
    // Act
    const { logger, metrics } = loadWith({ POWERTOOLS_SERVICE_NAME: 'replicate-prod', POWERTOOLS_METRICS_NAMESPACE: 'Team/Replication' });

    // Assess
    expect(lineOf(() => logger.info('hello'))).toMatchObject({ service: 'replicate-prod', message: 'hello' });
    expect(namespaceOf(metrics)).toBe('Team/Replication');
  });

  it('uses our names when the variables are unset or empty', () => {
    // Act
    const unset = loadWith({ POWERTOOLS_SERVICE_NAME: undefined, POWERTOOLS_METRICS_NAMESPACE: undefined });
    const empty = loadWith({ POWERTOOLS_SERVICE_NAME: '', POWERTOOLS_METRICS_NAMESPACE: '' });

    // Assess
    for (const { logger, metrics, SERVICE_NAME, METRICS_NAMESPACE } of [unset, empty]) {
      expect(lineOf(() => logger.info('hello'))).toMatchObject({ service: SERVICE_NAME });
      expect(namespaceOf(metrics)).toBe(METRICS_NAMESPACE);
    }
    expect(unset.SERVICE_NAME).toBe('partition-s3-replicate');
    expect(unset.METRICS_NAMESPACE).toBe('PartitionS3Replicate');
  });

  it('gives each record a logger of its own: keys added to one never reach the other or the shared one', () => {
    // Prepare
    const { logger, recordLogger } = loadWith({ POWERTOOLS_SERVICE_NAME: 'svc' });
    const first = recordLogger({ messageId: 'm-1' });
    const second = recordLogger({ messageId: 'm-2' });

    // Act
    first.appendKeys({ key: 'a.txt' });
    second.appendKeys({ key: 'b.txt' });

    // Assess
    expect(lineOf(() => first.info('x'))).toMatchObject({ service: 'svc', messageId: 'm-1', key: 'a.txt' });
    expect(lineOf(() => second.info('x'))).toMatchObject({ service: 'svc', messageId: 'm-2', key: 'b.txt' });
    const shared = lineOf(() => logger.info('x'));
    expect(shared.key).toBeUndefined();
    expect(shared.messageId).toBeUndefined();
  });
});

import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';

/**
 * The one logger and metrics instance. Powertools prefers constructor options to its variables,
 * so the POWERTOOLS_* variables are read here: they win, our names are the defaults.
 */
export const SERVICE_NAME = 'partition-s3-replicate';
export const METRICS_NAMESPACE = 'PartitionS3Replicate';

const serviceName = process.env.POWERTOOLS_SERVICE_NAME || SERVICE_NAME;

export const logger = new Logger({ serviceName });

// Given the logger, the metrics' own warnings are JSON lines too.
export const metrics = new Metrics({ namespace: process.env.POWERTOOLS_METRICS_NAMESPACE || METRICS_NAMESPACE, serviceName, logger });

/** A record's own logger: records run concurrently, so their keys must not share the logger's. */
export function recordLogger(record: { messageId: string }): Logger {
  return logger.createChild({ persistentKeys: { messageId: record.messageId } });
}

export const METRIC = {
  objectsReplicated: { name: 'ObjectsReplicated', unit: MetricUnit.Count },
  bytesReplicated: { name: 'BytesReplicated', unit: MetricUnit.Bytes },
  replicationLatency: { name: 'ReplicationLatency', unit: MetricUnit.Milliseconds },
  failures: { name: 'Failures', unit: MetricUnit.Count },
  skipped: { name: 'Skipped', unit: MetricUnit.Count },
  unreplicable: { name: 'Unreplicable', unit: MetricUnit.Count },
  relayed: { name: 'EventsRelayed', unit: MetricUnit.Count },
  ignored: { name: 'EventsIgnored', unit: MetricUnit.Count },
} as const;

export function addMetric(metric: (typeof METRIC)[keyof typeof METRIC], value: number): void {
  metrics.addMetric(metric.name, metric.unit, value);
}

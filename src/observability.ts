import { Logger } from '@aws-lambda-powertools/logger';
import { MetricUnit, Metrics } from '@aws-lambda-powertools/metrics';

/** The one logger and metrics instance; POWERTOOLS_* variables override these defaults. */
export const SERVICE_NAME = 'partition-s3-replicate';

export const logger = new Logger({ serviceName: SERVICE_NAME });

// Given the logger, the metrics' own warnings are JSON lines too.
export const metrics = new Metrics({ namespace: 'PartitionS3Replicate', serviceName: SERVICE_NAME, logger });

export const METRIC = {
  objectsReplicated: { name: 'ObjectsReplicated', unit: MetricUnit.Count },
  bytesReplicated: { name: 'BytesReplicated', unit: MetricUnit.Bytes },
  replicationLatency: { name: 'ReplicationLatency', unit: MetricUnit.Milliseconds },
  failures: { name: 'Failures', unit: MetricUnit.Count },
  skipped: { name: 'Skipped', unit: MetricUnit.Count },
  relayed: { name: 'EventsRelayed', unit: MetricUnit.Count },
  ignored: { name: 'EventsIgnored', unit: MetricUnit.Count },
} as const;

export function addMetric(metric: (typeof METRIC)[keyof typeof METRIC], value: number): void {
  metrics.addMetric(metric.name, metric.unit, value);
}

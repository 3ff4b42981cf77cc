// Imported first by tests that load the handlers: Powertools reads these at module load.
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
process.env.POWERTOOLS_SERVICE_NAME ??= 'partition-s3-replicate-test';
export {};

// Imported first: Powertools reads these when the handlers' modules load.
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
process.env.POWERTOOLS_METRICS_DISABLED = 'true';
export {};

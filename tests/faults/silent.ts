// Imported first by the fault runs: the handlers' logs of injected failures would drown the report
// (the crash child inherits the setting). Powertools reads it at module load; restore it afterwards
// in a Jest worker that goes on with other files.
const previous = process.env.POWERTOOLS_LOG_LEVEL;
process.env.POWERTOOLS_LOG_LEVEL = process.env.FAULT_LOG_LEVEL ?? 'SILENT';

export function restoreLogLevelEnv(): void {
  if (previous === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = previous;
}

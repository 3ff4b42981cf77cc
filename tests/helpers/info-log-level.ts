// Imported first (before quiet-powertools) by tests that assert INFO log lines: Powertools reads
// POWERTOOLS_LOG_LEVEL at module load, and injectLambdaContext goes back to that level at every
// warm invocation, so setLogLevel() in a test does not last. Restore with restoreLogLevelEnv().
const previous = process.env.POWERTOOLS_LOG_LEVEL;
process.env.POWERTOOLS_LOG_LEVEL = 'INFO';

export function restoreLogLevelEnv(): void {
  if (previous === undefined) delete process.env.POWERTOOLS_LOG_LEVEL;
  else process.env.POWERTOOLS_LOG_LEVEL = previous;
}

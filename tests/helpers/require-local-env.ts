// setupFiles entry of the "integration" Jest project: integration tests must fail, never
// skip, when the local servers are not there.
const REQUIRED = [
  'LOCAL_S3_SOURCE_ENDPOINT',
  'LOCAL_S3_DEST_ENDPOINT',
  'LOCAL_S3_SOURCE_REGION',
  'LOCAL_S3_DEST_REGION',
  'LOCAL_S3_SOURCE_ACCESS_KEY_ID',
  'LOCAL_S3_SOURCE_SECRET_ACCESS_KEY',
  'LOCAL_S3_DEST_ACCESS_KEY_ID',
  'LOCAL_S3_DEST_SECRET_ACCESS_KEY',
  'LOCAL_DYNAMODB_ENDPOINT',
] as const;

const missing = REQUIRED.filter((name) => !process.env[name]);
if (missing.length > 0) {
  throw new Error(
    `integration tests need the local servers: run \`make test\` or scripts/test-env/run.sh npx jest ... ` +
      `(missing: ${missing.join(', ')})`,
  );
}

// Upload dist/partition-s3-replicate-<hash>.zip (from `make dist`) to the package bucket, SSE-KMS:
//   s3://$PACKAGE_BUCKET/${PACKAGE_PREFIX}partition-s3-replicate/<hash>.zip         immutable; skipped if there
//   s3://$PACKAGE_BUCKET/${PACKAGE_PREFIX}partition-s3-replicate/$ENVIRONMENT.zip   always written
// Runs only when ENVIRONMENT and PACKAGE_BUCKET are set; otherwise it says why it skips and exits 0.
// Prints PACKAGE_BUILD_HASH=... and PACKAGE_KEY=... and writes them as `export` lines to dist/package.env,
// which the buildspec sources so that CodeBuild's exported-variables see them in its shell.
// Endpoint and addressing come from the environment: AWS_ENDPOINT_URL_S3 (read by the SDK itself) and
// S3_FORCE_PATH_STYLE=true, as for the Lambda functions.
import { existsSync, readFileSync, realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { HeadObjectCommand, NotFound, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { APP, ROOT, inputHash, zipPath } from './dist.mjs';

export const DEFAULT_KMS_KEY_ID = 'alias/aws/s3';
export const ENV_FILE = join('dist', 'package.env');

/** The reason the upload does not run, or undefined when it does. */
export function skipReason(env) {
  const missing = ['ENVIRONMENT', 'PACKAGE_BUCKET'].filter((name) => !env[name]);
  return missing.length ? `${missing.join(' and ')} not set` : undefined;
}

/** The two object keys; throws on a PACKAGE_PREFIX or ENVIRONMENT that would give a surprising key. */
export function packageKeys(env, hash) {
  const prefix = env.PACKAGE_PREFIX ?? '';
  if (prefix && (prefix.startsWith('/') || !prefix.endsWith('/'))) {
    throw new Error(`PACKAGE_PREFIX "${prefix}" must not begin with "/" and must end with "/" (e.g. "lambda/"), or be empty`);
  }
  if (!/^[A-Za-z0-9][A-Za-z0-9_.-]*$/.test(env.ENVIRONMENT)) {
    throw new Error(`ENVIRONMENT "${env.ENVIRONMENT}" must be letters, digits, "_", "." and "-" (it names ${APP}/<ENVIRONMENT>.zip)`);
  }
  return { hashKey: `${prefix}${APP}/${hash}.zip`, environmentKey: `${prefix}${APP}/${env.ENVIRONMENT}.zip` };
}

async function exists(client, Bucket, Key) {
  try {
    await client.send(new HeadObjectCommand({ Bucket, Key }));
    return true;
  } catch (err) {
    if (err instanceof NotFound) return false;
    // Without s3:ListBucket, S3 answers a missing key with 403 instead of 404.
    throw new Error(`HeadObject s3://${Bucket}/${Key}: ${err.name} (HTTP ${err.$metadata?.httpStatusCode})`, { cause: err });
  }
}

/** Uploads the zip; returns the variables to export and the log lines. */
export async function uploadPackage({ env, hash, body, client }) {
  const { hashKey, environmentKey } = packageKeys(env, hash);
  const Bucket = env.PACKAGE_BUCKET;
  const put = (Key) =>
    client.send(new PutObjectCommand({
      Bucket, Key, Body: body, ContentType: 'application/zip',
      ServerSideEncryption: 'aws:kms', SSEKMSKeyId: env.PACKAGE_KMS_KEY_ID || DEFAULT_KMS_KEY_ID,
      Metadata: { 'package-build-hash': hash },
    }));
  const log = [];
  if (await exists(client, Bucket, hashKey)) {
    log.push(`s3://${Bucket}/${hashKey} already there, not uploaded again`);
  } else {
    await put(hashKey);
    log.push(`uploaded s3://${Bucket}/${hashKey}`);
  }
  await put(environmentKey);
  log.push(`uploaded s3://${Bucket}/${environmentKey}`);
  return { variables: { PACKAGE_BUILD_HASH: hash, PACKAGE_KEY: hashKey }, log };
}

const shellQuote = (value) => `'${value.replaceAll("'", `'\\''`)}'`;

/** The whole job for one tree: checks, upload, printed and written variables. */
export async function run({ env = process.env, root = ROOT, client, print = console.log } = {}) {
  const hash = inputHash(root);
  const zip = zipPath(hash, root);
  if (!existsSync(zip)) throw new Error(`${zip} not found: run make dist first (the sources changed since?)`);
  let variables = { PACKAGE_BUILD_HASH: hash };
  const reason = skipReason(env);
  if (reason) {
    print(`upload-package: upload skipped: ${reason}`);
  } else {
    const s3 = client ?? new S3Client({ forcePathStyle: env.S3_FORCE_PATH_STYLE === 'true' });
    const result = await uploadPackage({ env, hash, body: readFileSync(zip), client: s3 });
    result.log.forEach((line) => print(`upload-package: ${line}`));
    variables = result.variables;
  }
  const entries = Object.entries(variables);
  entries.forEach(([name, value]) => print(`${name}=${value}`));
  writeFileSync(join(root, ENV_FILE), entries.map(([name, value]) => `export ${name}=${shellQuote(value)}\n`).join(''));
  return variables;
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  run().catch((err) => {
    const status = err.$metadata?.httpStatusCode; // an S3 error: its code says more than its message
    console.error(`upload-package: failed: ${status ? `${err.name} (HTTP ${status}): ` : ''}${err.message}`);
    process.exit(1);
  });
}

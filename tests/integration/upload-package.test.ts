// scripts/upload-package.mjs as CodeBuild runs it, against Ceph RGW (scripts/test-env).
// RGW refuses SSE headers over plain HTTP, and without a KMS backend it cannot do SSE-KMS at all. The
// test environment therefore runs RGW with rgw_crypt_require_ssl=false and its "testing" KMS backend,
// which knows the keys alias/aws/s3 and TEST_KMS_KEY_ID (docs/CONTRACTS.md). With that RGW really
// encrypts and reports the key id on HEAD, so the test asserts the encryption RGW recorded, not just
// the headers the script sent.
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { CreateBucketCommand, GetObjectCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { emptyAndDeleteBucket, localEnv, sourceS3Client, uniqueBucketName } from '../helpers/local-env';

const REPO = join(__dirname, '../..');
const TEST_KMS_KEY_ID = 'test-key';
const ZIP = Buffer.from('PK\x05\x06 a stand-in for the zip: the script uploads bytes, whatever they are');
const dist = jest.requireActual<{ inputHash(root: string): string; zipPath(hash: string, root: string): string }>('../../scripts/dist.mjs');

let tmp: string;
let s3: S3Client;
let bucket: string;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), 'upload-package-it-'));
  s3 = sourceS3Client();
  bucket = uniqueBucketName('packages');
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
});
afterAll(async () => {
  await emptyAndDeleteBucket(s3, bucket);
  s3.destroy();
  rmSync(tmp, { recursive: true, force: true });
});

/** A checkout with the real scripts, arbitrary build inputs and the zip `make dist` would have left. */
function checkout(name: string): { root: string; hash: string } {
  const root = join(tmp, name);
  const files: Record<string, string> = {
    'src/handlers/relay.ts': `export const handler = () => '${name}';\n`,
    'package.json': '{}\n',
    'package-lock.json': '{}\n',
    'tsconfig.json': '{}\n',
    'scripts/build.mjs': '// build\n',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  for (const script of ['dist.mjs', 'upload-package.mjs']) cpSync(join(REPO, 'scripts', script), join(root, 'scripts', script));
  symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
  const hash = dist.inputHash(root);
  mkdirSync(join(root, 'dist'));
  writeFileSync(dist.zipPath(hash, root), ZIP);
  return { root, hash };
}

/** Runs the script with only the variables CodeBuild would give it, pointed at RGW. */
function upload(root: string, vars: Record<string, string>) {
  const { source } = localEnv();
  const env = {
    PATH: process.env.PATH,
    AWS_ENDPOINT_URL_S3: source.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: source.region,
    AWS_ACCESS_KEY_ID: source.accessKeyId,
    AWS_SECRET_ACCESS_KEY: source.secretAccessKey,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    AWS_CONFIG_FILE: '/dev/null',
    AWS_SHARED_CREDENTIALS_FILE: '/dev/null',
    PACKAGE_BUCKET: bucket,
    ...vars,
  };
  const result = spawnSync(process.execPath, [join(root, 'scripts/upload-package.mjs')], { encoding: 'utf8', env });
  if (result.status !== 0) throw new Error(`upload-package.mjs exited ${result.status}: ${result.stderr}`);
  return result.stdout;
}

async function object(Key: string) {
  const head = await s3.send(new HeadObjectCommand({ Bucket: bucket, Key }));
  const body = await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key }))).Body!.transformToByteArray();
  return { body: Buffer.from(body), sse: [head.ServerSideEncryption, head.SSEKMSKeyId], metadata: head.Metadata };
}

describe('upload-package.mjs against RGW', () => {
  it('uploads the hash and the environment copy, encrypted under alias/aws/s3 by default', async () => {
    const { root, hash } = checkout('default-key');

    const stdout = upload(root, { ENVIRONMENT: 'dev', PACKAGE_PREFIX: 'ci/lambda/' });

    const hashKey = `ci/lambda/partition-s3-replicate/${hash}.zip`;
    expect(stdout).toBe(
      `upload-package: uploaded s3://${bucket}/${hashKey}\n` +
        `upload-package: uploaded s3://${bucket}/ci/lambda/partition-s3-replicate/dev.zip\n` +
        `PACKAGE_BUILD_HASH=${hash}\nPACKAGE_KEY=${hashKey}\n`,
    );
    for (const key of [hashKey, 'ci/lambda/partition-s3-replicate/dev.zip']) {
      await expect(object(key)).resolves.toEqual({ body: ZIP, sse: ['aws:kms', 'alias/aws/s3'], metadata: { 'package-build-hash': hash } });
    }
    expect(readFileSync(join(root, 'dist/package.env'), 'utf8')).toBe(`export PACKAGE_BUILD_HASH='${hash}'\nexport PACKAGE_KEY='${hashKey}'\n`);
  });

  it('encrypts under PACKAGE_KMS_KEY_ID, and a re-run rewrites the environment copy only', async () => {
    // Prepare: a first run, then stand-ins over both objects to see which one the second run rewrites
    const { root, hash } = checkout('custom-key');
    const vars = { ENVIRONMENT: 'prod', PACKAGE_KMS_KEY_ID: TEST_KMS_KEY_ID };
    upload(root, vars);
    const [hashKey, environmentKey] = [`partition-s3-replicate/${hash}.zip`, 'partition-s3-replicate/prod.zip'];
    await expect(object(hashKey)).resolves.toMatchObject({ body: ZIP, sse: ['aws:kms', TEST_KMS_KEY_ID] });
    for (const Key of [hashKey, environmentKey]) {
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key, Body: 'stand-in', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: TEST_KMS_KEY_ID }));
    }

    // Act
    const stdout = upload(root, vars);

    // Assess
    expect(stdout).toContain(`upload-package: s3://${bucket}/${hashKey} already there, not uploaded again\n`);
    expect((await object(hashKey)).body.toString()).toBe('stand-in');
    await expect(object(environmentKey)).resolves.toMatchObject({ body: ZIP, sse: ['aws:kms', TEST_KMS_KEY_ID] });
    expect(stdout).toContain(`PACKAGE_KEY=${hashKey}\n`);
  });
});

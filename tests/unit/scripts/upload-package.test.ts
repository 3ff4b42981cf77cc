import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { HeadObjectCommand, NotFound, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { mockClient } from 'aws-sdk-client-mock';

type Env = Record<string, string | undefined>;
type Variables = Record<string, string>;
interface UploadModule {
  ENV_FILE: string;
  skipReason(env: Env): string | undefined;
  packageKeys(env: Env, hash: string): { hashKey: string; environmentKey: string };
  uploadPackage(args: { env: Env; hash: string; body: Buffer; client: S3Client }): Promise<{ variables: Variables; log: string[] }>;
  run(args: { env: Env; root: string; client?: S3Client; print?: (line: string) => void }): Promise<Variables>;
}
interface DistModule {
  inputHash(root: string): string;
  zipPath(hash: string, root: string): string;
}
const REPO = join(__dirname, '../../..');
const upload = jest.requireActual<UploadModule>('../../../scripts/upload-package.mjs');
const dist = jest.requireActual<DistModule>('../../../scripts/dist.mjs');

const HASH = '0123456789abcdef';
const BODY = Buffer.from('PK fake zip bytes');
const s3 = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'k', secretAccessKey: 's' } });
const s3Mock = mockClient(s3);
const notFound = () => new NotFound({ $metadata: { httpStatusCode: 404 }, message: 'Not Found' });

/** A checkout with the build's inputs (any content) and, in dist/, the zip named after their hash. */
function fakeCheckout(parent: string): { root: string; hash: string } {
  const root = join(parent, 'checkout');
  const files: Record<string, string> = {
    'src/handlers/relay.ts': 'export const handler = () => 1;\n',
    'package.json': '{}\n',
    'package-lock.json': '{}\n',
    'tsconfig.json': '{}\n',
    'scripts/build.mjs': '// build\n',
    'scripts/dist.mjs': '// dist\n',
  };
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), content);
  }
  const hash = dist.inputHash(root);
  mkdirSync(join(root, 'dist'));
  writeFileSync(dist.zipPath(hash, root), BODY);
  return { root, hash };
}

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'upload-package-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
beforeEach(() => {
  s3Mock.reset();
  s3Mock.on(HeadObjectCommand).rejects(notFound());
  s3Mock.on(PutObjectCommand).resolves({});
});

const putInputs = () => s3Mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input);

describe('packageKeys', () => {
  it('puts both objects under partition-s3-replicate/ at the bucket root without a prefix', () => {
    expect(upload.packageKeys({ ENVIRONMENT: 'prod' }, HASH)).toEqual({
      hashKey: `partition-s3-replicate/${HASH}.zip`,
      environmentKey: 'partition-s3-replicate/prod.zip',
    });
  });

  it('puts both objects under the prefix', () => {
    expect(upload.packageKeys({ ENVIRONMENT: 'dev', PACKAGE_PREFIX: 'builds/lambda/' }, HASH)).toEqual({
      hashKey: `builds/lambda/partition-s3-replicate/${HASH}.zip`,
      environmentKey: 'builds/lambda/partition-s3-replicate/dev.zip',
    });
  });

  it.each(['/lambda/', 'lambda', '/', 'a/b'])('rejects the prefix %p', (prefix) => {
    expect(() => upload.packageKeys({ ENVIRONMENT: 'dev', PACKAGE_PREFIX: prefix }, HASH)).toThrow(
      `PACKAGE_PREFIX "${prefix}" must not begin with "/" and must end with "/" (e.g. "lambda/"), or be empty`,
    );
  });

  it.each(['a/b', '../prod', '.hidden', 'two words'])('rejects the environment name %p', (name) => {
    expect(() => upload.packageKeys({ ENVIRONMENT: name }, HASH)).toThrow(`ENVIRONMENT "${name}" must be letters, digits`);
  });
});

describe('skipReason', () => {
  it.each([
    [{ PACKAGE_BUCKET: 'b' }, 'ENVIRONMENT not set'],
    [{ ENVIRONMENT: 'dev' }, 'PACKAGE_BUCKET not set'],
    [{ ENVIRONMENT: '', PACKAGE_BUCKET: '' }, 'ENVIRONMENT and PACKAGE_BUCKET not set'],
    [{ ENVIRONMENT: 'dev', PACKAGE_BUCKET: 'b' }, undefined],
  ])('for %p is %p', (env, reason) => {
    expect(upload.skipReason(env)).toBe(reason);
  });
});

describe('uploadPackage', () => {
  const env = { ENVIRONMENT: 'dev', PACKAGE_BUCKET: 'packages', PACKAGE_PREFIX: 'lambda/' };

  it('uploads the hash and the environment copy with SSE-KMS under the AWS managed key by default', async () => {
    const result = await upload.uploadPackage({ env, hash: HASH, body: BODY, client: s3 });

    expect(s3Mock.commandCalls(HeadObjectCommand).map((c) => c.args[0].input)).toEqual([
      { Bucket: 'packages', Key: `lambda/partition-s3-replicate/${HASH}.zip` },
    ]);
    const common = {
      Bucket: 'packages', Body: BODY, ContentType: 'application/zip',
      ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'alias/aws/s3', Metadata: { 'package-build-hash': HASH },
    };
    expect(putInputs()).toEqual([
      { ...common, Key: `lambda/partition-s3-replicate/${HASH}.zip` },
      { ...common, Key: 'lambda/partition-s3-replicate/dev.zip' },
    ]);
    expect(result).toEqual({
      variables: { PACKAGE_BUILD_HASH: HASH, PACKAGE_KEY: `lambda/partition-s3-replicate/${HASH}.zip` },
      log: [`uploaded s3://packages/lambda/partition-s3-replicate/${HASH}.zip`, 'uploaded s3://packages/lambda/partition-s3-replicate/dev.zip'],
    });
  });

  it('encrypts both objects with PACKAGE_KMS_KEY_ID when it is set', async () => {
    const key = 'arn:aws-us-gov:kms:us-gov-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab';

    await upload.uploadPackage({ env: { ...env, PACKAGE_KMS_KEY_ID: key }, hash: HASH, body: BODY, client: s3 });

    expect(putInputs().map((input) => [input.ServerSideEncryption, input.SSEKMSKeyId])).toEqual([
      ['aws:kms', key],
      ['aws:kms', key],
    ]);
  });

  it('does not upload a hash that is already there, but still writes the environment copy', async () => {
    s3Mock.on(HeadObjectCommand).resolves({ ContentLength: BODY.length });

    const result = await upload.uploadPackage({ env, hash: HASH, body: BODY, client: s3 });

    expect(putInputs().map((input) => input.Key)).toEqual(['lambda/partition-s3-replicate/dev.zip']);
    expect(result.log[0]).toBe(`s3://packages/lambda/partition-s3-replicate/${HASH}.zip already there, not uploaded again`);
    expect(result.variables.PACKAGE_KEY).toBe(`lambda/partition-s3-replicate/${HASH}.zip`);
  });

  it('fails without uploading when HeadObject fails with anything but NotFound', async () => {
    const forbidden = new S3ServiceException({ name: 'Forbidden', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: '' });
    s3Mock.on(HeadObjectCommand).rejects(forbidden);

    await expect(upload.uploadPackage({ env, hash: HASH, body: BODY, client: s3 })).rejects.toThrow(
      `HeadObject s3://packages/lambda/partition-s3-replicate/${HASH}.zip: Forbidden (HTTP 403)`,
    );
    expect(s3Mock.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('rejects a bad prefix before any S3 call', async () => {
    await expect(
      upload.uploadPackage({ env: { ...env, PACKAGE_PREFIX: '/lambda' }, hash: HASH, body: BODY, client: s3 }),
    ).rejects.toThrow('PACKAGE_PREFIX "/lambda" must not begin with "/" and must end with "/"');
    expect(s3Mock.calls()).toHaveLength(0);
  });
});

describe('run', () => {
  it('uploads the zip of the tree, prints the variables and writes them for the shell', async () => {
    // Prepare: a prefix with a quote and a space, which the env file must keep intact
    const { root, hash } = fakeCheckout(mkdtempSync(join(tmp, 'run-')));
    const lines: string[] = [];
    const env = { ENVIRONMENT: 'prod', PACKAGE_BUCKET: 'packages', PACKAGE_PREFIX: "it's here/" };

    // Act
    const variables = await upload.run({ env, root, client: s3, print: (line) => lines.push(line) });

    // Assess
    const key = `it's here/partition-s3-replicate/${hash}.zip`;
    expect(variables).toEqual({ PACKAGE_BUILD_HASH: hash, PACKAGE_KEY: key });
    expect(putInputs().map((input) => [input.Key, input.Body])).toEqual([[key, BODY], ["it's here/partition-s3-replicate/prod.zip", BODY]]);
    expect(lines.slice(-2)).toEqual([`PACKAGE_BUILD_HASH=${hash}`, `PACKAGE_KEY=${key}`]);
    const sourced = execFileSync('bash', ['-c', `. "$1" && printf '%s\\n' "$PACKAGE_BUILD_HASH" "$PACKAGE_KEY"`, 'bash', join(root, upload.ENV_FILE)], {
      encoding: 'utf8',
    });
    expect(sourced).toBe(`${hash}\n${key}\n`);
  });

  it.each([
    [{ PACKAGE_BUCKET: 'packages' }, 'ENVIRONMENT not set'],
    [{ ENVIRONMENT: 'prod' }, 'PACKAGE_BUCKET not set'],
  ])('skips the upload when a variable is missing (%p) and exports the hash only', async (env, reason) => {
    const { root, hash } = fakeCheckout(mkdtempSync(join(tmp, 'skip-')));
    const lines: string[] = [];

    const variables = await upload.run({ env, root, client: s3, print: (line) => lines.push(line) });

    expect(lines).toEqual([`upload-package: upload skipped: ${reason}`, `PACKAGE_BUILD_HASH=${hash}`]);
    expect(variables).toEqual({ PACKAGE_BUILD_HASH: hash });
    expect(readFileSync(join(root, upload.ENV_FILE), 'utf8')).toBe(`export PACKAGE_BUILD_HASH='${hash}'\n`);
    expect(s3Mock.calls()).toHaveLength(0);
  });

  it('fails when dist/ has no zip for the current sources', async () => {
    const { root } = fakeCheckout(mkdtempSync(join(tmp, 'stale-')));
    writeFileSync(join(root, 'src/handlers/relay.ts'), 'export const handler = () => 2;\n'); // sources changed after dist

    await expect(upload.run({ env: { ENVIRONMENT: 'prod', PACKAGE_BUCKET: 'packages' }, root, client: s3 })).rejects.toThrow(
      /dist\/partition-s3-replicate-[0-9a-f]{16}\.zip not found: run make dist first/,
    );
    expect(s3Mock.calls()).toHaveLength(0);
  });
});

describe('upload-package.mjs as a command', () => {
  /** A checkout holding the real scripts, which resolve @aws-sdk/client-s3 through node_modules. */
  function scriptCheckout() {
    const { root } = fakeCheckout(mkdtempSync(join(tmp, 'command-')));
    for (const script of ['dist.mjs', 'upload-package.mjs']) cpSync(join(REPO, 'scripts', script), join(root, 'scripts', script));
    symlinkSync(join(REPO, 'node_modules'), join(root, 'node_modules'));
    const hash = dist.inputHash(root); // the real dist.mjs is an input too
    writeFileSync(dist.zipPath(hash, root), BODY);
    return { root, hash };
  }
  const runScript = (root: string, env: Env) =>
    spawnSync(process.execPath, [join(root, 'scripts/upload-package.mjs')], { encoding: 'utf8', env: { PATH: process.env.PATH, ...env } });

  it('exits 0 and says why when it skips the upload', () => {
    const { root, hash } = scriptCheckout();

    const result = runScript(root, { PACKAGE_BUCKET: 'packages' });

    expect(result.stdout).toBe(`upload-package: upload skipped: ENVIRONMENT not set\nPACKAGE_BUILD_HASH=${hash}\n`);
    expect(result.status).toBe(0);
  });

  it('exits 1 with the reason on a bad PACKAGE_PREFIX', () => {
    const { root } = scriptCheckout();

    const result = runScript(root, { ENVIRONMENT: 'prod', PACKAGE_BUCKET: 'packages', PACKAGE_PREFIX: 'lambda' });

    expect(result.stderr).toBe(
      'upload-package: failed: PACKAGE_PREFIX "lambda" must not begin with "/" and must end with "/" (e.g. "lambda/"), or be empty\n',
    );
    expect(result.stdout).toBe('');
    expect(result.status).toBe(1);
  });
});

// build.mjs and dist.mjs run in throw-away checkouts with fixture handlers, so these tests do not depend
// on the state of src/. The two checkouts compared byte for byte get their own node_modules (hard
// links, or a copy across file systems): through a symlink, esbuild would record the real path of each
// bundled module and the source maps would differ. The others share the repository's through a symlink.
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { inflateRawSync } from 'node:zlib';

const REPO = join(__dirname, '../../..');
const COPIED = ['scripts/build.mjs', 'scripts/dist.mjs', 'package.json', 'package-lock.json', 'tsconfig.json'];
const SOURCES: Record<string, string> = {
  'src/handlers/relay.ts': [
    "import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';",
    "import { greeting } from '../core/greeting';",
    'const s3 = new S3Client({});',
    'export const handler = async (event: { bucket: string; key: string }) => {',
    '  const head = await s3.send(new HeadObjectCommand({ Bucket: event.bucket, Key: event.key }));',
    '  return `${greeting(event.key)} ${head.ContentLength}`;',
    '};',
  ].join('\n'),
  'src/handlers/replicate.ts': "import { greeting } from '../core/greeting';\nexport const handler = async (name: string) => greeting(name);\n",
  'src/core/greeting.ts': 'export function greeting(name: string): string {\n  return `hello ${name}`;\n}\n',
};

let tmp: string;
function checkout(path: string, ownModules = false): string {
  const root = join(tmp, path);
  for (const file of COPIED) cpSync(join(REPO, file), join(root, file));
  for (const [file, content] of Object.entries(SOURCES)) {
    mkdirSync(dirname(join(root, file)), { recursive: true });
    writeFileSync(join(root, file), content);
  }
  const [modules, copy] = [join(REPO, 'node_modules'), join(root, 'node_modules')];
  if (!ownModules) symlinkSync(modules, copy);
  else if (spawnSync('cp', ['-al', modules, copy]).status !== 0) cpSync(modules, copy, { recursive: true });
  return root;
}

function node(root: string, script: string) {
  const result = spawnSync(process.execPath, [join(root, script)], { cwd: root, encoding: 'utf8' });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function buildAndDist(root: string): { zip: string; stdout: string } {
  for (const script of ['scripts/build.mjs', 'scripts/dist.mjs']) {
    const result = node(root, script);
    if (result.status !== 0) throw new Error(`${script} failed: ${result.stderr}`);
    if (script.endsWith('dist.mjs')) {
      const zips = readdirSync(join(root, 'dist'));
      expect(zips).toHaveLength(1); // no *.tmp left behind, no older package
      return { zip: join(root, 'dist', zips[0]!), stdout: result.stdout };
    }
  }
  throw new Error('unreachable');
}

const sha256 = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

interface ZipEntry { name: string; dosDate: number; dosTime: number; mode: number; extraLength: number; data: Buffer }
/** Reads the central directory (APPNOTE 4.3.12) and inflates each entry. */
function readZip(path: string): ZipEntry[] {
  const zip = readFileSync(path);
  const eocd = zip.lastIndexOf(Buffer.from([0x50, 0x4b, 0x05, 0x06]));
  const count = zip.readUInt16LE(eocd + 10);
  let at = zip.readUInt32LE(eocd + 16);
  const entries: ZipEntry[] = [];
  for (let i = 0; i < count; i++) {
    expect(zip.readUInt32LE(at)).toBe(0x02014b50);
    const nameLength = zip.readUInt16LE(at + 28);
    const extraLength = zip.readUInt16LE(at + 30);
    const local = zip.readUInt32LE(at + 42);
    const compressed = zip.readUInt32LE(at + 20);
    const dataStart = local + 30 + zip.readUInt16LE(local + 26) + zip.readUInt16LE(local + 28);
    entries.push({
      name: zip.toString('utf8', at + 46, at + 46 + nameLength),
      dosTime: zip.readUInt16LE(at + 12),
      dosDate: zip.readUInt16LE(at + 14),
      mode: zip.readUInt32LE(at + 38) >>> 16,
      extraLength,
      data: inflateRawSync(zip.subarray(dataStart, dataStart + compressed)),
    });
    at += 46 + nameLength + extraLength + zip.readUInt16LE(at + 32);
  }
  return entries;
}

let first: string;
let firstZip: { zip: string; stdout: string };
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'dist-test-'));
  first = checkout('one', true);
  firstZip = buildAndDist(first);
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('build.mjs', () => {
  it('bundles each handler into build/<name>.js with an external source map', () => {
    expect(readdirSync(join(first, 'build')).sort()).toEqual(['relay.js', 'relay.js.map', 'replicate.js', 'replicate.js.map']);
    const relay = readFileSync(join(first, 'build/relay.js'), 'utf8');
    expect(relay.trimEnd().endsWith('//# sourceMappingURL=relay.js.map')).toBe(true);
    expect(relay).not.toContain('sourceMappingURL=data:'); // not inline
  });

  it('bundles the AWS SDK instead of leaving it to the runtime', () => {
    const relay = readFileSync(join(first, 'build/relay.js'), 'utf8');
    const map = JSON.parse(readFileSync(join(first, 'build/relay.js.map'), 'utf8')) as { sources: string[] };

    // Only the optional CRT signer stays a require(), inside a try: it is not installed and not needed
    expect([...new Set(relay.match(/require\("@[^"]+"\)/g))]).toEqual(['require("@aws-sdk/signature-v4-crt")']);
    expect(map.sources.filter((source) => source.startsWith('../node_modules/@aws-sdk/client-s3/'))).not.toEqual([]);
    expect(map.sources).toContain('../src/handlers/relay.ts');
    expect(map.sources.filter((source) => source.startsWith('/') || source.includes(tmp))).toEqual([]);
  });

  it('writes minified CommonJS that exports the handler, without legal comments', async () => {
    const replicate = readFileSync(join(first, 'build/replicate.js'), 'utf8');
    // Loaded as Lambda loads it: require() of a CommonJS file
    const loaded = jest.requireActual<{ handler: (name: string) => Promise<string> }>(join(first, 'build/replicate.js'));

    await expect(loaded.handler('world')).resolves.toBe('hello world');
    expect(replicate.split('\n').length).toBeLessThanOrEqual(3); // minified: code, source map comment
    expect(replicate).not.toContain('greeting'); // local names are mangled
    expect(readFileSync(join(first, 'build/relay.js'), 'utf8')).not.toMatch(/@license|@preserve|\/\*!/);
  });

  it('removes the bundle of a handler that no longer exists', () => {
    const root = checkout('stale');
    mkdirSync(join(root, 'build'));
    writeFileSync(join(root, 'build/deleted.js'), 'old');

    const result = node(root, 'scripts/build.mjs');

    expect(result.status).toBe(0);
    expect(existsSync(join(root, 'build/deleted.js'))).toBe(false);
    expect(result.stdout).toMatch(/^build: build\/relay\.js build\/replicate\.js in \d+ ms\n$/);
  });

  it('fails and says why when there is no handler', () => {
    const root = checkout('empty');
    rmSync(join(root, 'src/handlers'), { recursive: true });
    mkdirSync(join(root, 'src/handlers'));

    const result = node(root, 'scripts/build.mjs');

    expect(result.stderr).toBe(`build: failed: no handler (*.ts) in ${join(root, 'src/handlers')}\n`);
    expect(result.status).toBe(1);
  });
});

describe('dist.mjs', () => {
  it('names the zip after the input hash and prints its path, hash and size', () => {
    const { zip, stdout } = firstZip;
    const hash = /partition-s3-replicate-([0-9a-f]{16})\.zip$/.exec(zip)?.[1];

    expect(hash).toBeDefined();
    expect(stdout).toBe(
      `dist: dist/partition-s3-replicate-${hash}.zip\n` +
        `dist: hash ${hash}, ${readFileSync(zip).length} bytes, 4 entries, zip sha256 ${sha256(zip)}\n`,
    );
  });

  it('holds the bundles at its root, sorted, with fixed timestamps and modes and no directories', () => {
    const entries = readZip(firstZip.zip);

    expect(entries.map((e) => e.name)).toEqual(['relay.js', 'relay.js.map', 'replicate.js', 'replicate.js.map']);
    for (const entry of entries) {
      expect(entry.data.equals(readFileSync(join(first, 'build', entry.name)))).toBe(true);
      expect([entry.dosDate, entry.dosTime]).toEqual([(0 << 9) | (1 << 5) | 1, 0]); // 1980-01-01 00:00:00
      expect(entry.mode).toBe(0o100644);
      expect(entry.extraLength).toBe(0); // no extended timestamp, which would depend on the time zone
    }
  });

  it('gives the same bytes from another checkout path, in another time zone', () => {
    const second = checkout('two/at/another/depth', true);
    const previousTz = process.env.TZ;
    process.env.TZ = 'Pacific/Kiritimati'; // UTC+14: a local 1980-01-01 is still 1979 in UTC
    try {
      const { zip } = buildAndDist(second);

      expect(zip.slice(second.length)).toBe(firstZip.zip.slice(first.length));
      expect(sha256(zip)).toBe(sha256(firstZip.zip));
    } finally {
      if (previousTz === undefined) delete process.env.TZ;
      else process.env.TZ = previousTz;
    }
  });

  it.each(['src/core/greeting.ts', 'package-lock.json', 'scripts/build.mjs'])('changes the hash when %s changes', (file) => {
    const root = checkout(`changed-${file.replaceAll('/', '-')}`);
    writeFileSync(join(root, file), `${readFileSync(join(root, file), 'utf8')}\n// changed\n`);

    const { zip } = buildAndDist(root);

    expect(zip.slice(root.length)).not.toBe(firstZip.zip.slice(first.length));
  });

  it('keeps the hash when a file outside the inputs changes, and replaces an older package', () => {
    const root = checkout('unrelated');
    writeFileSync(join(root, 'README.md'), 'not an input\n');
    mkdirSync(join(root, 'dist'));
    writeFileSync(join(root, 'dist/partition-s3-replicate-0000000000000000.zip'), 'old');

    const { zip } = buildAndDist(root);

    expect(zip.slice(root.length)).toBe(firstZip.zip.slice(first.length));
  });

  it('fails and says why when build/ holds no bundle', () => {
    const root = checkout('unbuilt');

    const result = node(root, 'scripts/dist.mjs');

    expect(result.stderr).toBe('dist: failed: build/ holds no .js bundle: run make build first\n');
    expect(result.status).toBe(1);
    expect(execFileSync('ls', ['-A', join(root, 'dist')], { encoding: 'utf8' })).toBe('');
  });
});

// Package build/*.js and build/*.js.map into dist/partition-s3-replicate-<hash>.zip, byte for byte
// the same for the same inputs (sorted entries, fixed timestamps and modes, no directory entries).
// <hash> identifies the inputs of the build, not the zip: see inputHash().
import { createHash } from 'node:crypto';
import { createWriteStream, existsSync, mkdirSync, readdirSync, readFileSync, realpathSync, renameSync, rmSync, statSync } from 'node:fs';
import { dirname, join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { finished } from 'node:stream/promises';
import yazl from 'yazl';

export const APP = 'partition-s3-replicate';
export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
// Everything that decides the bytes of the zip besides src/**: dependencies, compiler settings and the
// two scripts that bundle and pack (a change to either changes the output, so it must change the name).
const INPUT_FILES = ['package-lock.json', 'package.json', 'tsconfig.json', 'scripts/build.mjs', 'scripts/dist.mjs'];
// 16 hex digits (64 bits): short enough for readable file names and S3 keys; an accidental collision
// between two builds stays below one in a billion until about 190,000 distinct builds.
const HASH_LENGTH = 16;
// yazl writes the DOS date in local time: a local 1980-01-01 is the same fields in every time zone, and
// forceDosTimestamp leaves out the UTC "UT" extra field, which would differ between zones.
const ENTRY_OPTIONS = { mtime: new Date(1980, 0, 1), mode: 0o100644, forceDosTimestamp: true };

function filesUnder(root, dir) {
  return readdirSync(join(root, dir), { recursive: true })
    .map((name) => join(dir, name))
    .filter((path) => statSync(join(root, path)).isFile());
}

/** sha256 over the sorted relative paths and contents of the build's inputs, cut to HASH_LENGTH. */
export function inputHash(root = ROOT) {
  const paths = [...filesUnder(root, 'src'), ...INPUT_FILES].map((p) => p.split(sep).join('/')).sort();
  const hash = createHash('sha256');
  for (const path of paths) {
    const content = readFileSync(join(root, path));
    hash.update(`${path}\0${content.length}\0`).update(content); // framed, so no two trees feed the same bytes
  }
  return hash.digest('hex').slice(0, HASH_LENGTH);
}

export function zipPath(hash, root = ROOT) {
  return join(root, 'dist', `${APP}-${hash}.zip`);
}

async function writeZip(root, path) {
  const dir = join(root, 'build');
  const names = existsSync(dir) ? readdirSync(dir).filter((f) => f.endsWith('.js') || f.endsWith('.js.map')).sort() : [];
  if (!names.some((f) => f.endsWith('.js'))) throw new Error('build/ holds no .js bundle: run make build first');
  const zip = new yazl.ZipFile();
  for (const name of names) zip.addBuffer(readFileSync(join(root, 'build', name)), name, ENTRY_OPTIONS);
  zip.end();
  const tmp = `${path}.tmp`;
  await finished(zip.outputStream.pipe(createWriteStream(tmp)));
  renameSync(tmp, path);
  return names;
}

async function main() {
  const hash = inputHash();
  const path = zipPath(hash);
  mkdirSync(dirname(path), { recursive: true });
  for (const old of readdirSync(dirname(path)).filter((f) => f.startsWith(`${APP}-`))) {
    rmSync(join(dirname(path), old)); // dist/ holds the package of the current tree only
  }
  const names = await writeZip(ROOT, path);
  const bytes = readFileSync(path);
  console.log(`dist: ${relative(process.cwd(), path)}`);
  console.log(`dist: hash ${hash}, ${bytes.length} bytes, ${names.length} entries, zip sha256 ${createHash('sha256').update(bytes).digest('hex')}`);
}

if (process.argv[1] && realpathSync(process.argv[1]) === fileURLToPath(import.meta.url)) {
  main().catch((err) => {
    console.error(`dist: failed: ${err.message}`);
    process.exit(1);
  });
}

// Bundle every Lambda handler src/handlers/<name>.ts into build/<name>.js (+ .map) with esbuild.
// The AWS SDK is bundled (no externals), so the versions in package-lock.json are the ones that run,
// not whatever SDK the Lambda runtime ships. The output depends only on the repository's contents:
// paths are relative to the repository root, so two checkouts in different places give the same bytes.
import { chmodSync, existsSync, readdirSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CLI_ENTRY = 'src/cli/entry.ts';
const CLI_BUNDLE = 'build/cli/partition-s3-replicate.js';

const buildOptions = {
  absWorkingDir: root,
  bundle: true,
  platform: 'node',
  target: 'node22',
  format: 'cjs',
  // The SDK's ES module builds, not its one-file CommonJS builds: unused commands and schemas are
  // left out (build/replicate.js 1.40 -> 1.10 MB; loading it took a third less CPU, measured).
  mainFields: ['module', 'main'],
  minify: true,
  sourcemap: 'linked', // build/<name>.js.map plus the comment NODE_OPTIONS=--enable-source-maps needs to find it
  legalComments: 'none',
  outdir: 'build',
  logLevel: 'warning',
};

function handlers() {
  const dir = join(root, 'src', 'handlers');
  const names = readdirSync(dir).filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts')).sort();
  if (names.length === 0) throw new Error(`no handler (*.ts) in ${dir}`);
  return names.map((f) => `src/handlers/${f}`);
}

try {
  const started = Date.now();
  const entryPoints = handlers();
  rmSync(join(root, 'build'), { recursive: true, force: true }); // no stale bundle of a deleted handler
  await build({ ...buildOptions, entryPoints });
  const names = entryPoints.map((p) => `build/${p.slice('src/handlers/'.length, -3)}.js`);
  // The CLI (package.json "bin"), for Node 20 and up; in build/cli/, so not in the Lambda zip.
  if (existsSync(join(root, CLI_ENTRY))) {
    await build({ ...buildOptions, target: 'node20', entryPoints: [CLI_ENTRY], outdir: undefined, outfile: CLI_BUNDLE, banner: { js: '#!/usr/bin/env node' } });
    chmodSync(join(root, CLI_BUNDLE), 0o755);
    names.push(CLI_BUNDLE);
  }
  console.log(`build: ${names.join(' ')} in ${Date.now() - started} ms`);
} catch (err) {
  console.error(`build: failed: ${err.message}`);
  process.exit(1);
}

// Jest transform: esbuild (already the bundler) turns TypeScript and ES modules (@middy/*, the
// .mjs scripts) into CommonJS for Jest. It only transpiles: type errors are `make lint`'s job.
const { transformSync } = require('esbuild');
const { createHash } = require('node:crypto');
const { readFileSync } = require('node:fs');
const { version } = require('esbuild/package.json');

// Jest caches transformed files: the key covers esbuild's version and this file's own text.
const self = readFileSync(__filename);

module.exports = {
  process(source, filename) {
    const { code, map } = transformSync(source, {
      loader: filename.endsWith('.ts') ? 'ts' : 'js',
      format: 'cjs',
      target: 'node20',
      sourcemap: 'external',
      sourcefile: filename,
      supported: { 'dynamic-import': false },
      // ES modules are strict and know their own URL; keep both after the move to CommonJS.
      banner: '"use strict";const __import_meta_url = require("node:url").pathToFileURL(__filename).href;',
      define: { 'import.meta.url': '__import_meta_url' },
    });
    return { code, map };
  },
  getCacheKey(source, filename) {
    return createHash('sha256').update(version).update(self).update(filename).update(source).digest('hex');
  },
};

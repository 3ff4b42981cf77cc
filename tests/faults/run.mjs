#!/usr/bin/env node
// `make test-faults`: bundles tests/faults/run.ts (TypeScript) and runs it. Needs the variables of
// scripts/test-env (run it through scripts/test-env/run.sh).
import { buildSync } from 'esbuild';
import { createRequire } from 'node:module';

const outfile = 'build/faults/run.cjs';
buildSync({ entryPoints: ['tests/faults/run.ts'], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile, external: ['esbuild'], logLevel: 'warning' });
const { main } = createRequire(import.meta.url)(`../../${outfile}`);
process.exitCode = await main();

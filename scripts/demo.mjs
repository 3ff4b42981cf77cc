#!/usr/bin/env node
// `make demo`: bundles scripts/demo/main.ts (the TypeScript demo, which wires the real relay and
// replicate handlers to the local servers) and runs it. Needs the variables of scripts/test-env.
import { buildSync } from 'esbuild';
import { createRequire } from 'node:module';

const outfile = 'build/demo/main.cjs';
buildSync({ entryPoints: ['scripts/demo/main.ts'], bundle: true, platform: 'node', target: 'node20', format: 'cjs', packages: 'external', outfile, logLevel: 'warning' });
const { main } = createRequire(import.meta.url)(`../${outfile}`);
process.exitCode = await main();

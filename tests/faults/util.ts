// Small helpers shared by the fault experiments.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const REPO = join(__dirname, '..', '..');
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
export const bump = (map: Map<string, number>, kind: string, by = 1) => map.set(kind, (map.get(kind) ?? 0) + by);

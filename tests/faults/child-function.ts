// The parent side of crash-child.ts: one warm "Lambda instance" in a child process, started on
// the first invocation after a kill (a cold start), killed with SIGKILL on demand.
import type { ChildProcess } from 'node:child_process';
import { fork } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildSync } from 'esbuild';
import type { SQSBatchResponse, SQSEvent, Context } from 'aws-lambda';

const REPO = join(__dirname, '..', '..');
const BUNDLE = join(REPO, 'build', 'faults', 'crash-child.cjs');

let bundled = false;

/** Bundles crash-child.ts once per process (node cannot run the TypeScript sources itself). */
function bundle(): string {
  if (!bundled || !existsSync(BUNDLE)) {
    mkdirSync(dirname(BUNDLE), { recursive: true });
    buildSync({ entryPoints: [join(REPO, 'tests', 'faults', 'crash-child.ts')], bundle: true, platform: 'node', target: 'node20', format: 'cjs', outfile: BUNDLE, logLevel: 'error' });
    bundled = true;
  }
  return BUNDLE;
}

interface Reply {
  id?: number;
  ready?: boolean;
  response?: SQSBatchResponse;
  error?: string;
}

export class ChildFunction {
  public coldStarts = 0;
  public kills = 0;
  public peakRssKiB = 0;
  private child: ChildProcess | undefined;
  private nextId = 0;

  public constructor(private readonly env: Record<string, string>) {}

  public async invoke(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
    const child = await this.running();
    const id = ++this.nextId;
    return new Promise<SQSBatchResponse>((resolve, reject) => {
      const onMessage = (reply: Reply) => {
        if (reply.id !== id) return;
        cleanup();
        if (reply.response) resolve(reply.response);
        else reject(new Error(`the function failed: ${reply.error ?? 'unknown'}`));
      };
      const onExit = (code: number | null, signal: string | null) => {
        cleanup();
        reject(new Error(`the function's process ended (${signal ?? code})`));
      };
      const cleanup = () => {
        child.off('message', onMessage);
        child.off('exit', onExit);
      };
      child.on('message', onMessage);
      child.on('exit', onExit);
      child.send({ id, event, deadline: Date.now() + context.getRemainingTimeInMillis() });
    });
  }

  /** SIGKILL now, if an instance is running. */
  public kill(): boolean {
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return false;
    this.sampleRss(child.pid);
    child.kill('SIGKILL');
    this.child = undefined;
    this.kills += 1;
    return true;
  }

  public stop(): void {
    const child = this.child;
    this.child = undefined;
    if (child && child.exitCode === null && child.signalCode === null) {
      this.sampleRss(child.pid);
      child.kill('SIGKILL');
    }
  }

  private async running(): Promise<ChildProcess> {
    if (this.child && this.child.exitCode === null && this.child.signalCode === null) {
      this.sampleRss(this.child.pid);
      return this.child;
    }
    const child = fork(bundle(), [], { env: { ...process.env, ...this.env }, stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.coldStarts += 1;
    this.child = child;
    await new Promise<void>((resolve, reject) => {
      child.once('message', (reply: Reply) => (reply.ready ? resolve() : reject(new Error('unexpected first message'))));
      child.once('exit', (code) => reject(new Error(`the function did not start (exit ${code})`)));
    });
    return child;
  }

  /** The child's resident set from /proc (Linux), kept as a peak. */
  private sampleRss(pid: number | undefined): void {
    if (pid === undefined) return;
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      const hwm = /VmHWM:\s+(\d+) kB/.exec(status);
      if (hwm) this.peakRssKiB = Math.max(this.peakRssKiB, Number(hwm[1]));
    } catch {
      // gone already
    }
  }
}

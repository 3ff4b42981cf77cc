import { SingleBar } from 'cli-progress';

/**
 * What a command prints: human text on stdout, or one JSON document with --json (for scripts);
 * progress on stderr, only on a terminal and never with --json. Errors go to stderr.
 */
export interface Output {
  json: boolean;
  /** A line of the human report (dropped with --json). */
  line(text: string): void;
  /** The JSON document (printed with --json only). */
  result(value: unknown): void;
  error(text: string): void;
  progress(label: string): Progress;
}

export interface Progress {
  /** `n` more items done; `total` when it is known (listings only learn it as they go). */
  tick(n?: number, total?: number): void;
  stop(): void;
}

const SILENT: Progress = { tick: () => undefined, stop: () => undefined };

export function consoleOutput(options: { json: boolean; progress: boolean }): Output {
  const bars = options.progress && !options.json && process.stderr.isTTY === true;
  return {
    json: options.json,
    line: (text) => {
      if (!options.json) process.stdout.write(`${text}\n`);
    },
    result: (value) => {
      if (options.json) process.stdout.write(`${JSON.stringify(value, null, 2)}\n`);
    },
    error: (text) => process.stderr.write(`${text}\n`),
    progress: (label) => {
      if (!bars) return SILENT;
      const bar = new SingleBar({ format: `${label} {bar} {value} keys | {rate}/s | {duration_formatted}`, stream: process.stderr, hideCursor: true, clearOnComplete: true, etaBuffer: 50 });
      const started = Date.now();
      let done = 0;
      bar.start(1, 0, { rate: '0' });
      return {
        tick: (n = 1, total) => {
          done += n;
          bar.setTotal(Math.max(total ?? done, done, 1));
          bar.update(done, { rate: (done / Math.max(0.001, (Date.now() - started) / 1000)).toFixed(0) });
        },
        stop: () => bar.stop(),
      };
    },
  };
}

/** An Output that keeps everything, for tests and for callers that print themselves. */
export function memoryOutput(json = false): Output & { lines: string[]; results: unknown[]; errors: string[] } {
  const lines: string[] = [];
  const results: unknown[] = [];
  const errors: string[] = [];
  return {
    json,
    lines,
    results,
    errors,
    line: (text) => {
      if (!json) lines.push(text);
    },
    result: (value) => {
      if (json) results.push(value);
    },
    error: (text) => errors.push(text),
    progress: () => SILENT,
  };
}

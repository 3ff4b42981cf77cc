// A seeded fault proxy on 127.0.0.1 in front of one local server (S3 or DynamoDB): forwards
// requests byte for byte (the signature covers the Host header, which is kept) and, at a given
// rate, answers 503 SlowDown or 500 itself, resets the connection before the request reaches the
// server or after the server committed it, or delays it 1-3 s. Hooks let an experiment act right
// before a request is forwarded or right after the server replied (kill a process there).
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Random } from './random';

export const FAULT_KINDS = ['503-slowdown', '500-internal', 'reset-before', 'reset-after-commit', 'delay'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface RequestInfo {
  method: string;
  url: string;
  /** DynamoDB's operation (x-amz-target), if any. */
  target: string | undefined;
}

export interface ProxyOptions {
  name: string;
  upstream: string;
  /** 'xml' (S3) or 'json' (DynamoDB) error bodies. */
  protocol: 'xml' | 'json';
  random: Random;
  /** Share of requests that get a fault (0 disables faults). */
  rate?: number;
  kinds?: readonly FaultKind[];
  /** Called before the request is forwarded. */
  before?: (info: RequestInfo) => Promise<void> | void;
  /** Called once the server replied, before the reply is forwarded: 'drop' resets the client's connection instead. */
  after?: (info: RequestInfo, status: number) => Promise<'drop' | void> | 'drop' | void;
}

export class FaultProxy {
  public readonly faults = new Map<FaultKind, number>();
  public requests = 0;
  private readonly server = createServer((req, res) => void this.handle(req, res));
  private readonly upstream: URL;
  private enabled = true;

  public constructor(private readonly options: ProxyOptions) {
    this.upstream = new URL(options.upstream);
    this.server.keepAliveTimeout = 1_000;
  }

  public async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Faults on or off (checks after the run go straight to the servers anyway). */
  public setEnabled(enabled: boolean): void {
    this.enabled = enabled;
  }

  private count(kind: FaultKind): void {
    this.faults.set(kind, (this.faults.get(kind) ?? 0) + 1);
  }

  private pickFault(): FaultKind | undefined {
    const { random, rate = 0, kinds = FAULT_KINDS } = this.options;
    if (!this.enabled || rate <= 0 || random.next() >= rate) return undefined;
    return random.pick([...kinds]);
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    this.requests += 1;
    const info: RequestInfo = { method: req.method ?? 'GET', url: req.url ?? '/', target: header(req, 'x-amz-target') };
    const fault = this.pickFault();
    if (fault) this.count(fault);
    const delayMs = fault === 'delay' ? 1_000 + Math.floor(this.options.random.next() * 2_000) : 0;
    try {
      if (fault === 'reset-before') {
        req.socket.resetAndDestroy();
        return;
      }
      if (fault === '503-slowdown' || fault === '500-internal') {
        req.resume();
        await new Promise((resolve) => req.on('end', resolve));
        this.answerError(res, fault === '503-slowdown' ? 503 : 500);
        return;
      }
      if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
      await this.options.before?.(info);
      await this.forward(req, res, info, fault === 'reset-after-commit');
    } catch {
      req.socket.destroy();
    }
  }

  private answerError(res: ServerResponse, status: 503 | 500): void {
    const s3Code = status === 503 ? 'SlowDown' : 'InternalError';
    const body =
      this.options.protocol === 'xml'
        ? `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${s3Code}</Code><Message>injected by the fault proxy</Message><RequestId>fault</RequestId></Error>`
        : JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${status === 503 ? 'ThrottlingException' : 'InternalServerError'}`, message: 'injected by the fault proxy' });
    res.writeHead(status, { 'content-type': this.options.protocol === 'xml' ? 'application/xml' : 'application/x-amz-json-1.0', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  }

  /** Forwards the request; the reply is read whole before it is passed on, so `after` sees a committed write. */
  private forward(req: IncomingMessage, res: ServerResponse, info: RequestInfo, resetAfterCommit: boolean): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      const upstream = httpRequest(
        { host: this.upstream.hostname, port: this.upstream.port, method: req.method, path: req.url, headers: req.headers },
        (reply) => {
          const chunks: Buffer[] = [];
          reply.on('data', (c: Buffer) => chunks.push(c));
          reply.on('error', reject);
          reply.on('end', () => {
            void (async () => {
              const verdict = await this.options.after?.(info, reply.statusCode ?? 0);
              if (resetAfterCommit || verdict === 'drop') {
                req.socket.resetAndDestroy();
              } else {
                res.writeHead(reply.statusCode ?? 502, reply.headers);
                res.end(Buffer.concat(chunks));
              }
              resolve();
            })().catch(reject);
          });
        },
      );
      upstream.on('error', reject);
      req.pipe(upstream);
    });
  }
}

function header(req: IncomingMessage, name: string): string | undefined {
  const value = req.headers[name];
  return Array.isArray(value) ? value[0] : value;
}

/** Is this an S3 request that writes a whole object (PutObject or CompleteMultipartUpload)? */
export function isObjectWrite(info: RequestInfo): boolean {
  const query = new URL(info.url, 'http://x').searchParams;
  if (info.method === 'PUT') return !query.has('partNumber') && !query.has('tagging') && !query.has('versioning') && info.url.split('?')[0]!.split('/').length > 2;
  return info.method === 'POST' && query.has('uploadId');
}

export function isUploadPart(info: RequestInfo): boolean {
  const query = new URL(info.url, 'http://x').searchParams;
  return info.method === 'PUT' && query.has('partNumber') && query.has('uploadId');
}

export function isCompleteUpload(info: RequestInfo): boolean {
  const query = new URL(info.url, 'http://x').searchParams;
  return info.method === 'POST' && query.has('uploadId');
}

export function isStateWrite(info: RequestInfo): boolean {
  const writes = ['PutItem', 'DeleteItem', 'UpdateItem', 'BatchWriteItem', 'TransactWriteItems'];
  return writes.some((op) => info.target === `DynamoDB_20120810.${op}`);
}

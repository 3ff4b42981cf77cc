import { main } from '../../../src/cli/main';

// The command line itself: usage and configuration errors exit 2 before any AWS call.
describe('main', () => {
  const saved = { ...process.env };
  let stderr: string;
  beforeEach(() => {
    stderr = '';
    jest.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr += String(chunk);
      return true;
    });
    jest.spyOn(process.stdout, 'write').mockImplementation(() => true);
    for (const name of ['TABLE_NAME', 'DLQ_URL', 'SOURCE_BUCKET', 'DESTINATIONS', 'QUEUE_URL']) delete process.env[name];
  });
  afterEach(() => {
    jest.restoreAllMocks();
    process.env = { ...saved };
  });
  const run = (...args: string[]) => main(['node', 'partition-s3-replicate', ...args]);

  it('exits 2 naming the missing variable and its flag', async () => {
    expect(await run('verify')).toBe(2);
    expect(stderr).toContain('TABLE_NAME (or --table): is required');
  });

  it('exits 2 on an unknown command or a bad option value', async () => {
    expect(await run('frobnicate')).toBe(2);
    expect(await run('verify', '--concurrency', '0')).toBe(2);
    expect(stderr).toContain('--concurrency must be a whole number of at least 1');
    expect(await run('backfill', '--history', 'some')).toBe(2);
  });

  it('exits 2 when --destination names no configured destination', async () => {
    Object.assign(process.env, {
      TABLE_NAME: 'state',
      DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/r-dlq.fifo',
      SOURCE_BUCKET: 'src-bucket',
      DESTINATIONS: JSON.stringify([{ id: 'gov', bucket: 'dest-bucket', secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:d' }]),
    });
    expect(await run('--destination', 'cn', 'verify')).toBe(2);
    expect(stderr).toContain('--destination: names no destination of DESTINATIONS (gov)');
  });

  it('exits 0 for --help', async () => {
    expect(await run('--help')).toBe(0);
  });

  it('redrive without a queue is a usage error', async () => {
    Object.assign(process.env, {
      TABLE_NAME: 'state',
      DLQ_URL: 'https://sqs.us-east-1.amazonaws.com/111122223333/r-dlq.fifo',
      SOURCE_BUCKET: 'src-bucket',
      DESTINATIONS: JSON.stringify([{ id: 'gov', bucket: 'dest-bucket', secretArn: 'arn:aws:secretsmanager:us-east-1:111122223333:secret:d' }]),
    });
    expect(await run('redrive', '--dry-run')).toBe(2);
    expect(stderr).toContain('QUEUE_URL');
  });
});

// Part two of `make demo`: onboarding a bucket that already holds data. Objects written before
// the "deployment" (no events for them) are found by `verify`, backfilled through the FIFO queue
// (`backfill --queue --history all`) while live changes arrive through the relay, and the demo
// ends with the CLI's own `verify` printing zero differences.
import { PutObjectCommand, PutObjectTaggingCommand, DeleteObjectCommand } from '@aws-sdk/client-s3';
import { documentClient, sourceS3Client } from '../../src/aws/clients';
import { runEnqueue } from '../../src/cli/commands/enqueue';
import type { VerifyResult } from '../../src/cli/commands/verify';
import { runVerify } from '../../src/cli/commands/verify';
import type { CliContext } from '../../src/cli/context';
import { consoleOutput, memoryOutput } from '../../src/cli/output';
import { LocalDestinations } from '../../src/cli/settings';
import type { Pipeline } from '../../tests/helpers/pipeline';
import { createPipeline } from '../../tests/helpers/pipeline';
import { deleteAndEvent, putAndEvent } from '../../tests/helpers/s3-events';

const PRE_EXISTING = 120;

function cli(p: Pipeline, out: CliContext['out']): CliContext {
  return {
    config: p.config,
    source: sourceS3Client(p.config.endpoints),
    sqs: p.sqs,
    documents: documentClient(p.config.endpoints),
    destinations: new LocalDestinations({ accessKeyId: process.env.LOCAL_S3_DEST_ACCESS_KEY_ID ?? '', secretAccessKey: process.env.LOCAL_S3_DEST_SECRET_ACCESS_KEY ?? '' }, p.config),
    out,
  };
}

/** Hides the functions' JSON log lines while `work` runs (the demo prints its own summary). */
async function quietly<T>(work: () => Promise<T>): Promise<T> {
  const write = process.stdout.write.bind(process.stdout);
  process.stdout.write = (chunk: string | Uint8Array, ...rest: unknown[]) => (chunk.toString().startsWith('{') ? true : (write as (...args: unknown[]) => boolean)(chunk, ...rest));
  try {
    return await work();
  } finally {
    process.stdout.write = write;
  }
}

export async function backfillDemo(): Promise<boolean> {
  console.log('\n=== Onboarding a bucket that already holds data: verify, backfill while live changes arrive, verify ===\n');
  const p = await createPipeline({ historyMode: 'all' });
  try {
    // Before the deployment: objects with histories, a deleted one, tags, odd names. No events.
    const put = (Key: string, Body: string) => p.source.send(new PutObjectCommand({ Bucket: p.sourceBucket, Key, Body }));
    for (let i = 0; i < PRE_EXISTING; i++) await put(`archive/${String(i).padStart(4, '0')}.txt`, `record ${i}`);
    for (const n of [1, 2, 3]) await put('settings/app.yaml', `revision: ${n}\n`);
    await put('settings/old.yaml', 'retired');
    await p.source.send(new DeleteObjectCommand({ Bucket: p.sourceBucket, Key: 'settings/old.yaml' }));
    await put('odd/a b+c%d=é.txt', 'odd name');
    await p.source.send(new PutObjectTaggingCommand({ Bucket: p.sourceBucket, Key: 'odd/a b+c%d=é.txt', Tagging: { TagSet: [{ Key: 'keep', Value: 'yes' }] } }));
    console.log(`${PRE_EXISTING + 3} keys existed before the deployment (one with 3 versions, one delete-marked, one tagged)`);

    const before = memoryOutput(true);
    await runVerify(cli(p, before), { prefix: '', concurrency: 16, show: 0, tags: true });
    const counts = (before.results[0] as VerifyResult).destinations[0]!.counts;
    console.log(`verify before the backfill: ${Object.entries(counts).map(([s, n]) => `${n} ${s}`).join(', ')}`);

    // The backfill queues one message per key while live changes go through the relay.
    const started = Date.now();
    const enqueued = memoryOutput(true);
    const poller = await quietly(async () => {
      const live = (async () => {
        for (const i of [3, 50, 99]) await p.send((await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: `archive/${String(i).padStart(4, '0')}.txt`, Body: `record ${i}, edited live` })).event);
        await p.send((await deleteAndEvent(p.source, p.sourceBucket, 'archive/0007.txt')).event);
        await p.send((await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'settings/app.yaml', Body: 'revision: 4\n' })).event);
        await p.send((await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: 'new/after-deploy.txt', Body: 'written after the deployment' })).event);
      })();
      await runEnqueue(cli(p, enqueued), { prefix: '', history: 'all', concurrency: 4, runId: 'demo-onboarding' });
      await live;
      return p.drain({ batchSize: 10, maxMs: 300_000 });
    });
    const { keys: queued } = enqueued.results[0] as { keys: number };
    console.log(`backfill --queue --history all: ${queued} converge messages, plus 6 live changes relayed meanwhile; ${poller.stats.records} records delivered in ${poller.stats.invocations} invocations, ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

    console.log('$ partition-s3-replicate verify');
    const code = await runVerify(cli(p, consoleOutput({ json: false, progress: false })), { prefix: '', concurrency: 16, show: 20, tags: true });
    return code === 0 && p.dlq.length === 0;
  } finally {
    await p.cleanup();
  }
}

// The S3 server crash: radosgw killed (scripts/test-env/rgw.sh) after a part of one big copy and
// during the CompleteMultipartUpload of another, restarted, the copies resumed from their checkpoints.
import { join } from 'node:path';
import { localEnv } from '../helpers/local-env';
import type { Pipeline } from '../helpers/pipeline';
import type { Poller } from '../helpers/poller';
import { uploadAndEvent } from '../helpers/s3-events';
import type { ProxyOptions } from './proxy';
import { isCompleteUpload, isUploadPart } from './proxy';
import type { Random } from './random';
import { REPO, bump, run, sleep } from './util';

const MiB = 1024 * 1024;
export const BIG_KEYS = ['big/killed mid-parts.bin', 'big/killed mid-complete.bin'] as const;
const BIG_SIZES = [40 * MiB, 24 * MiB] as const;
const PART_SIZE = 8 * MiB;

async function rgwScript(action: 'kill' | 'start'): Promise<void> {
  await run('bash', [join(REPO, 'scripts', 'test-env', 'rgw.sh'), action], { env: { ...process.env, TEST_ENV_DIR: process.env.LOCAL_TEST_ENV_DIR ?? '' } });
}

/** A proxy in front of the destination that kills radosgw after the n-th part of the first big copy, and as the second one completes. */
export class RgwKiller {
  private restarting: Promise<void> | undefined;
  private parts = 0;
  private completeKilled = false;
  private readonly killAfterPart: number;

  public constructor(
    private readonly faults: Map<string, number>,
    private readonly extra: Record<string, number>,
    random: Random,
  ) {
    this.killAfterPart = 1 + random.int(3);
  }

  /** Resolves once a killed server answers again. */
  public async settled(): Promise<void> {
    await this.restarting;
  }

  public options(): Omit<ProxyOptions, 'random'> {
    const keyOf = (url: string) => decodeURIComponent(url.split('?')[0]!.split('/').slice(2).join('/'));
    const label = (key: string) => (key === BIG_KEYS[0] ? 'mid-parts' : 'mid-complete');
    return {
      name: 'dest-s3',
      upstream: localEnv().dest.endpoint,
      protocol: 'xml',
      before: async (info) => {
        if (!this.completeKilled && isCompleteUpload(info) && keyOf(info.url) === BIG_KEYS[1]) {
          this.completeKilled = true;
          await this.crash('S3 server killed mid-CompleteMultipartUpload');
          throw new Error('the server is gone');
        }
      },
      after: async (info, status) => {
        if (!isUploadPart(info) || status >= 300) return;
        const key = keyOf(info.url);
        const counter = `parts uploaded (${label(key)})`;
        this.extra[counter] = (this.extra[counter] ?? 0) + 1;
        if (key === BIG_KEYS[0] && ++this.parts === this.killAfterPart) {
          await this.crash('S3 server killed mid-multipart');
          return 'drop';
        }
      },
    };
  }

  private async crash(kind: string): Promise<void> {
    bump(this.faults, kind);
    await rgwScript('kill');
    this.restarting = sleep(1_500).then(() => rgwScript('start'));
    this.extra.rgwRestarts = (this.extra.rgwRestarts ?? 0) + 1;
  }
}

/** The two big copies, each interrupted by an S3 server crash, then resumed from their checkpoints. */
export async function bigObjectsThroughKills(p: Pipeline, extra: Record<string, number>, killer: RgwKiller, poller: Poller, relayed: Set<string>, maxDrainMs: number): Promise<number> {
  for (const [i, key] of BIG_KEYS.entries()) {
    const body = Buffer.alloc(BIG_SIZES[i]!, 17 + i);
    const { event } = await uploadAndEvent(p.source, { Bucket: p.sourceBucket, Key: key, Body: body }, { partSize: 8 * MiB, queueSize: 2 });
    relayed.add(await p.send(event));
  }
  await poller.drain({ maxMs: maxDrainMs, maxReceives: 5_000 });
  await killer.settled();
  for (const [i] of BIG_KEYS.entries()) {
    const name = i === 0 ? 'mid-parts' : 'mid-complete';
    const parts = Math.ceil(BIG_SIZES[i]! / PART_SIZE);
    extra[`parts re-uploaded (${name})`] = (extra[`parts uploaded (${name})`] ?? 0) - parts;
  }
  return BIG_KEYS.length;
}

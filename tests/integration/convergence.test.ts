import '../helpers/quiet-powertools';
import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { Pipeline } from '../helpers/pipeline';
import { createPipeline, currentObject, replicaSources, sourceVersionIds } from '../helpers/pipeline';
import { deleteAndEvent, deleteTagsAndEvent, putAndEvent, putTagsAndEvent } from '../helpers/s3-events';

/**
 * The promise of DESIGN §1.1 as a property: random put / overwrite / delete / delete-version /
 * tag sequences on the source; their events delivered shuffled, duplicated, in random batches,
 * with transient failures (before and after the upload). After draining, every key converges.
 * Fixed seeds in CI; CONVERGENCE_SEED=<n> replays one.
 */

function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = ['alpha', 'dir/beta gamma', 'ünï+code=%'];
const seeds = process.env.CONVERGENCE_SEED ? [Number(process.env.CONVERGENCE_SEED)] : [1, 2, 3];

async function versionsAndMarkers(p: Pipeline, key: string) {
  const page = await p.source.send(new ListObjectVersionsCommand({ Bucket: p.sourceBucket, Prefix: key }));
  return {
    versions: (page.Versions ?? []).filter((v) => v.Key === key).map((v) => v.VersionId!),
    all: [...(page.Versions ?? []), ...(page.DeleteMarkers ?? [])].filter((v) => v.Key === key).map((v) => v.VersionId!),
    // RGW answers a DeleteObject on a delete-marked key without a new marker (AWS adds one).
    currentIsVersion: (page.Versions ?? []).some((v) => v.Key === key && v.IsLatest),
  };
}

describe.each(seeds)('random histories converge (seed %i)', (seed) => {
  it('leaves every destination key equal to its source key, with the same version history', async () => {
    const rand = random(seed);
    const pick = <T>(items: T[]): T => items[Math.floor(rand() * items.length)]!;
    const p = await createPipeline({
      copy: async (request, real) => {
        if (rand() < 0.15) throw Object.assign(new Error('injected: service unavailable'), { name: 'ServiceUnavailable' });
        const result = await real(request);
        if (rand() < 0.1) throw Object.assign(new Error('injected: crash after the upload'), { name: 'TimeoutError' });
        return result;
      },
    });
    try {
      // Prepare: a random history on the source, collecting the events S3 would send.
      const events: unknown[] = [];
      for (let step = 0; step < 30; step++) {
        const key = pick(KEYS);
        const { versions, all, currentIsVersion } = await versionsAndMarkers(p, key);
        const roll = rand();
        if (roll < 0.45 || versions.length === 0) {
          const body = `seed ${seed} step ${step} ${'x'.repeat(Math.floor(rand() * 64))}`;
          events.push((await putAndEvent(p.source, { Bucket: p.sourceBucket, Key: key, Body: body, Metadata: { step: String(step) }, Tagging: rand() < 0.5 ? `step=${step}` : undefined })).event);
        } else if (roll < 0.6 && currentIsVersion) {
          events.push((await deleteAndEvent(p.source, p.sourceBucket, key)).event);
        } else if (roll < 0.75 || (roll < 0.6 && !currentIsVersion)) {
          events.push((await deleteAndEvent(p.source, p.sourceBucket, key, pick(all))).event);
        } else if (roll < 0.9) {
          events.push((await putTagsAndEvent(p.source, p.sourceBucket, key, pick(versions), [{ Key: 'tagged', Value: String(step) }])).event);
        } else {
          events.push((await deleteTagsAndEvent(p.source, p.sourceBucket, key, pick(versions))).event);
        }
      }
      const delivered = [...events, ...events.filter(() => rand() < 0.2)];
      for (let i = delivered.length - 1; i > 0; i--) {
        const j = Math.floor(rand() * (i + 1));
        [delivered[i], delivered[j]] = [delivered[j], delivered[i]];
      }

      // Act
      await p.deliver(delivered, { batchSize: 1 + Math.floor(rand() * 10), maxRounds: 50 });

      // Assess
      for (const key of KEYS) {
        const context = `seed ${seed}, key ${key}`;
        const [source, dest] = await Promise.all([currentObject(p.source, p.sourceBucket, key), currentObject(p.dest, p.destBucket, key)]);
        expect({ context, current: dest }).toEqual({ context, current: source });
        expect({ context, history: await replicaSources(p.dest, p.destBucket, key) }).toEqual({
          context,
          history: await sourceVersionIds(p.source, p.sourceBucket, key),
        });
      }
      expect(p.dlq).toEqual([]);
    } finally {
      await p.cleanup();
    }
  });
});

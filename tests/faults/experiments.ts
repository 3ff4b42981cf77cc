// The fault experiments: each runs the randomized workload through relay -> real FIFO queue ->
// poller -> replicate while one kind of fault is injected from outside, drains the queue, and
// checks the invariant (checks.ts). Each is selected by name and replayed by its seed.
import { DeleteTableCommand } from '@aws-sdk/client-dynamodb';
import type { Message } from '@aws-sdk/client-sqs';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { SQSBatchResponse } from 'aws-lambda';
import { createStateTable, dynamoDbClient, localEnv } from '../helpers/local-env';
import type { Pipeline, PipelineOptions } from '../helpers/pipeline';
import { createPipeline } from '../helpers/pipeline';
import type { Invoke, Poller } from '../helpers/poller';
import { takeAll } from '../helpers/poller';
import { accountEvents, checkKeys } from './checks';
import { ChildFunction } from './child-function';
import { FAULT_KEYS, SourceDriver } from './driver';
import type { ProxyOptions } from './proxy';
import { FaultProxy, isObjectWrite, isStateWrite } from './proxy';
import { Random } from './random';
import { BIG_KEYS, RgwKiller, bigObjectsThroughKills } from './rgw-kill';
import { Rotation } from './rotation';
import { bump, sleep } from './util';

export const EXPERIMENTS = ['proxy', 'crash', 'rgw-kill', 'rotation', 'table-loss'] as const;
export type ExperimentName = (typeof EXPERIMENTS)[number];

export interface RunOptions {
  operations: number;
  /** How many of the ~20 odd key names to use (fewer: more history per key). */
  keys?: number;
  /** Bound on the whole run's draining. */
  maxDrainMs?: number;
}

export interface RunStats {
  experiment: ExperimentName;
  seed: number;
  operations: number;
  events: number;
  faults: Record<string, number>;
  invocations: number;
  /** Records received again after a failed or lost invocation. */
  retries: number;
  requeues: number;
  /** DLQ messages sent back to the queue once the faults stopped (what an operator does). */
  redriven: number;
  deadLettered: Record<string, number>;
  keysDiverged: number;
  duplicateVersions: number;
  orphanVersions: number;
  mapEntries: number;
  danglingMapEntries: number;
  dlqWithoutReason: number;
  lostEvents: number;
  /** Extra numbers of one experiment (e.g. re-uploaded parts). */
  extra: Record<string, number>;
  peakRssMiB: number;
  seconds: number;
  details: string[];
}

/** The counts that must be zero for the planner's invariant to hold. */
export function violations(s: RunStats): number {
  return s.keysDiverged + s.duplicateVersions + s.orphanVersions + s.danglingMapEntries + s.dlqWithoutReason + s.lostEvents;
}

interface Context {
  p: Pipeline;
  random: Random;
}


/** Runs one experiment with one seed; never throws for an invariant violation (the stats say it). */
export async function runExperiment(experiment: ExperimentName, seed: number, options: RunOptions): Promise<RunStats> {
  const started = Date.now();
  const random = new Random(seed);
  const faults = new Map<string, number>();
  const extra: Record<string, number> = {};
  const proxies: FaultProxy[] = [];
  const env = localEnv();
  const startProxy = async (o: Omit<ProxyOptions, 'random'>) => {
    const proxy = new FaultProxy({ ...o, random: random.fork(proxies.length + 1) });
    proxies.push(proxy);
    return proxy.start();
  };

  const pipelineOptions: PipelineOptions = { visibilityTimeoutSeconds: 1, maxReceiveCount: 20, functionEnv: { CHECKPOINT_MARGIN_SECONDS: '5' } };
  let child: ChildFunction | undefined;
  let rotation: Rotation | undefined;
  if (experiment === 'proxy') {
    pipelineOptions.endpoints = {
      destinationS3: await startProxy({ name: 'dest-s3', upstream: env.dest.endpoint, protocol: 'xml', rate: 0.1 }),
      sourceS3: await startProxy({ name: 'source-s3', upstream: env.source.endpoint, protocol: 'xml', rate: 0.1 }),
      dynamodb: await startProxy({ name: 'dynamodb', upstream: env.dynamodbEndpoint, protocol: 'json', rate: 0.1 }),
    };
  }
  if (experiment === 'crash') {
    // Kill the function right after the n-th committed object write or state write.
    const killer = random.fork(101);
    let objectWrites = 0;
    let stateWrites = 0;
    // Gaps drawn anew after each kill: often enough to hit every step, rare enough that a batch
    // can finish (a kill per batch would send every message to the DLQ after maxReceiveCount).
    const objectGap = () => 1 + killer.int(12);
    const stateGap = () => 1 + killer.int(40);
    // The first kills come early, so that a short run has them too.
    let nextObjectKill = 1 + killer.int(3);
    let nextStateKill = 1 + killer.int(5);
    pipelineOptions.endpoints = {
      destinationS3: await startProxy({
        name: 'dest-s3',
        upstream: env.dest.endpoint,
        protocol: 'xml',
        after: (info, status) => {
          if (!isObjectWrite(info) || status >= 300 || ++objectWrites < nextObjectKill) return;
          nextObjectKill = objectWrites + objectGap();
          if (child?.kill()) bump(faults, 'kill after object write');
          return 'drop';
        },
      }),
      dynamodb: await startProxy({
        name: 'dynamodb',
        upstream: env.dynamodbEndpoint,
        protocol: 'json',
        after: (info, status) => {
          if (!isStateWrite(info) || status >= 300 || ++stateWrites < nextStateKill) return;
          nextStateKill = stateWrites + stateGap();
          if (child?.kill()) bump(faults, 'kill after state write');
          return 'drop';
        },
      }),
    };
  }
  if (experiment === 'rotation') {
    rotation = new Rotation(env.dest.region);
    await rotation.begin();
    pipelineOptions.secret = () => rotation!.secret();
    pipelineOptions.functionEnv = { ...pipelineOptions.functionEnv, SECRET_CACHE_TTL_SECONDS: '300' };
  }
  let killer: RgwKiller | undefined;
  if (experiment === 'rgw-kill') {
    killer = new RgwKiller(faults, extra, random.fork(202));
    pipelineOptions.functionEnv = { ...pipelineOptions.functionEnv, PARTS_IN_FLIGHT: '1' };
    pipelineOptions.endpoints = { destinationS3: await startProxy(killer.options()) };
  }

  const p = await createPipeline(pipelineOptions);
  const ctx: Context = { p, random };
  let invoke: Invoke | undefined;
  if (experiment === 'crash') {
    const secret = JSON.stringify({ user: 'replicator', accesskey: env.dest.accessKeyId, secretaccesskey: env.dest.secretAccessKey, partition: 'aws-us-gov', accountid: '222233334444' });
    child = new ChildFunction({ ...p.functionEnv, FAULT_SECRET_JSON: secret });
    const timer = random.fork(303);
    invoke = async (event, context): Promise<SQSBatchResponse> => {
      // Some invocations die at a random moment, like an instance lost mid-batch.
      if (timer.chance(0.08)) {
        const at = timer.int(400);
        setTimeout(() => child?.kill() && bump(faults, 'kill at a random time'), at);
      }
      return child!.invoke(event, context);
    };
  }
  const poller = p.poller({ batchSize: 10, functionTimeoutMs: 60_000, ...(invoke && { invoke }) });
  const relayed = new Set<string>();
  const driver = new SourceDriver(p.source, p.sourceBucket, random.fork(7), {
    keys: FAULT_KEYS.slice(0, options.keys ?? FAULT_KEYS.length),
    multipartChance: experiment === 'rgw-kill' ? 0 : 0.04,
  });
  const details: string[] = [];
  const firstDlq: Message[] = [];
  let events = 0;
  try {
    if (killer) events += await bigObjectsThroughKills(p, extra, killer, poller, relayed, options.maxDrainMs ?? 600_000);
    const onStep = async (i: number, flush: () => Promise<void>) => {
      if (experiment === 'rotation') await rotation!.step(i, options.operations, faults, flush);
      if (experiment === 'table-loss' && i === Math.floor(options.operations / 2)) {
        await dynamoDbClient().send(new DeleteTableCommand({ TableName: p.tableName }));
        await createStateTable(dynamoDbClient(), p.tableName);
        bump(faults, 'state table lost');
      }
    };
    events += await workload(ctx, driver, poller, relayed, options, onStep);
    firstDlq.push(...(await redriveDlq(p, poller, relayed, options)));
  } catch (error) {
    details.push(`run stopped: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await killer?.settled();
    child?.stop();
    for (const proxy of proxies) proxy.setEnabled(false);
  }

  const dlqMessages = [...firstDlq, ...(await takeAll(p.sqs, p.dlqUrl))];
  const leftovers = await takeAll(p.sqs, p.queueUrl);
  const keys = [...driver.keys, ...(experiment === 'rgw-kill' ? BIG_KEYS : [])];
  const found = await checkKeys(p, keys);
  const accounting = accountEvents([...relayed], poller.deliveries, dlqMessages);
  for (const proxy of proxies) for (const [kind, n] of proxy.faults) bump(faults, kind, n);
  if (leftovers.length > 0) details.push(`${leftovers.length} messages still on the queue`);
  await rotation?.end();
  await p.cleanup();
  for (const proxy of proxies) await proxy.stop();

  const rssKiB = Math.max(process.resourceUsage().maxRSS, child?.peakRssKiB ?? 0);
  return {
    experiment,
    seed,
    operations: driver.operations + (experiment === 'rgw-kill' ? BIG_KEYS.length : 0),
    events,
    faults: Object.fromEntries(faults),
    invocations: poller.stats.invocations,
    retries: poller.stats.redeliveries,
    requeues: poller.deliveries.filter((d) => d.requeuedFrom !== undefined).length,
    redriven: firstDlq.length,
    deadLettered: Object.fromEntries(accounting.deadLettered),
    keysDiverged: found.keysDiverged,
    duplicateVersions: found.duplicateVersions,
    orphanVersions: found.orphanVersions,
    mapEntries: found.mapEntries,
    danglingMapEntries: found.danglingMapEntries,
    dlqWithoutReason: accounting.dlqWithoutReason,
    lostEvents: accounting.lostEvents + leftovers.length,
    extra: { ...extra, ...(child && { 'cold starts': child.coldStarts }), ...(rotation && { 'secret reads': p.secretReads() }) },
    peakRssMiB: Math.round(rssKiB / 1024),
    seconds: Math.round((Date.now() - started) / 100) / 10,
    details: [...details, ...found.details, ...accounting.details],
  };
}

/**
 * Random operations while a poller works the queue in the background; events are relayed late,
 * out of order and duplicated (the same event id, which the FIFO queue drops, and a new one, as
 * after the 5-minute deduplication window). Then everything is relayed and the queue drained.
 */
async function workload(
  ctx: Context,
  driver: SourceDriver,
  poller: Poller,
  relayed: Set<string>,
  options: RunOptions,
  onStep: (i: number, flush: () => Promise<void>) => Promise<void>,
): Promise<number> {
  const { p, random } = ctx;
  const pending: unknown[] = [];
  let events = 0;
  const send = async (event: unknown) => {
    relayed.add(await p.send(event));
    events += 1;
  };
  const flush = async (share: number) => {
    const now = pending.filter(() => random.chance(share));
    for (const event of now) {
      pending.splice(pending.indexOf(event), 1);
      await send(event);
      if (random.chance(0.1)) await send(event);
      if (random.chance(0.05)) await send(redelivered(event));
    }
  };
  let stop = false;
  const background = (async () => {
    while (!stop) if ((await poller.pollOnce(0)) === 0) await sleep(100);
  })();
  try {
    const deadline = Date.now() + (options.maxDrainMs ?? 600_000);
    for (let i = 0; i < options.operations && Date.now() < deadline; i++) {
      pending.push(...(await driver.step()));
      await onStep(i, () => flush(1));
      if (random.chance(0.3)) await flush(0.6);
    }
    await flush(1);
  } finally {
    stop = true;
    await background;
  }
  await poller.drain({ maxMs: options.maxDrainMs ?? 600_000, maxReceives: 20_000 });
  return events;
}

/**
 * The operator's redrive once the faults are over: every DLQ message back to the main queue, in
 * its key's group, then drained. A dead-lettered event must converge then; its DLQ message (with
 * its reason) is still counted. Returns the messages taken off the DLQ.
 */
async function redriveDlq(p: Pipeline, poller: Poller, relayed: Set<string>, options: RunOptions): Promise<Message[]> {
  const dead = await takeAll(p.sqs, p.dlqUrl);
  if (dead.length === 0) return dead;
  for (const m of dead) {
    const { MessageId } = await p.sqs.send(
      new SendMessageCommand({ QueueUrl: p.queueUrl, MessageBody: m.Body, MessageGroupId: m.Attributes?.MessageGroupId ?? 'redrive', MessageDeduplicationId: `redrive-${m.MessageId}` }),
    );
    relayed.add(MessageId!);
  }
  await poller.drain({ maxMs: options.maxDrainMs ?? 600_000, maxReceives: 20_000 });
  return dead;
}

/** The same S3 event with another id: EventBridge's at-least-once delivery after SQS forgot the first. */
function redelivered(event: unknown): unknown {
  const e = event as { id: string };
  return { ...e, id: `${e.id}-again` };
}

// The randomized workload of the fault suite: puts, overwrites, deletes, permanent deletes,
// undeletes and tag changes on ~20 keys with odd names, 0 B to a few multipart MiB, on the real
// source server; each operation returns the EventBridge events S3 would send for it.
import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { S3Client } from '@aws-sdk/client-s3';
import { deleteAndEvent, deleteTagsAndEvent, putAndEvent, putTagsAndEvent, uploadAndEvent } from '../helpers/s3-events';
import type { Random } from './random';

export const FAULT_KEYS = [
  'plain.txt',
  'a b+c%d=e',
  'dir/ünïcødé ☃.txt',
  '100% done+more = yes',
  'symbols ✓ ß €/launch.bin', // BMP only: fauxqs rejects characters above U+FFFF (AWS takes them)
  'deep/a/b/c/d/e.json',
  '~tilde & amp',
  'semi;colon,comma',
  "quote's \"double\"",
  'hash#tag?query',
  'brackets[1]{2}',
  'star*and$dollar',
  'at@sign!',
  'paren (1).txt',
  'colon: and, comma',
  'UPPER lower MiXeD',
  'dots...and..more',
  '日本語/ファイル.txt',
  'zero',
  'x'.repeat(300),
] as const;

export const OPERATION_KINDS = ['put', 'overwrite', 'multipart', 'delete', 'permanent-delete', 'undelete', 'tag', 'untag'] as const;
export type OperationKind = (typeof OPERATION_KINDS)[number];

const MiB = 1024 * 1024;
const CONTENT_TYPES = ['text/plain', 'application/json', 'application/octet-stream', undefined] as const;

interface KeyListing {
  versions: string[];
  all: string[];
  currentIsVersion: boolean;
  currentMarker: string | undefined;
}

export class SourceDriver {
  public readonly counts = new Map<OperationKind, number>();
  public operations = 0;

  public constructor(
    private readonly client: S3Client,
    private readonly bucket: string,
    private readonly random: Random,
    private readonly options: { keys?: readonly string[]; multipartChance?: number; maxSmallBytes?: number } = {},
  ) {}

  public get keys(): readonly string[] {
    return this.options.keys ?? FAULT_KEYS;
  }

  /** One random operation on a random key; returns the events it caused. */
  public async step(): Promise<unknown[]> {
    const key = this.random.pick(this.keys);
    const listing = await this.list(key);
    const roll = this.random.next();
    let kind: OperationKind;
    if (listing.all.length === 0 || roll < 0.35) kind = this.random.chance(this.options.multipartChance ?? 0.04) ? 'multipart' : listing.versions.length > 0 ? 'overwrite' : 'put';
    else if (roll < 0.5 && listing.currentIsVersion) kind = 'delete';
    else if (roll < 0.6 && listing.currentMarker !== undefined) kind = 'undelete';
    else if (roll < 0.72) kind = 'permanent-delete';
    else if (roll < 0.88 && listing.versions.length > 0) kind = 'tag';
    else if (listing.versions.length > 0) kind = 'untag';
    else kind = 'put';
    const events = await this.apply(kind, key, listing);
    this.operations += 1;
    this.counts.set(kind, (this.counts.get(kind) ?? 0) + 1);
    return events;
  }

  private async apply(kind: OperationKind, key: string, listing: KeyListing): Promise<unknown[]> {
    const { client, bucket, random } = this;
    const n = this.operations;
    switch (kind) {
      case 'put':
      case 'overwrite': {
        const size = random.chance(0.15) ? 0 : random.int(this.options.maxSmallBytes ?? 64 * 1024);
        const contentType = random.pick(CONTENT_TYPES);
        const { event } = await putAndEvent(client, {
          Bucket: bucket,
          Key: key,
          Body: body(size, n),
          ...(contentType !== undefined && { ContentType: contentType }),
          ...(random.chance(0.3) && { CacheControl: 'max-age=60' }),
          Metadata: { op: String(n), ...(random.chance(0.3) && { note: 'fault suite' }) },
          ...(random.chance(0.4) && { Tagging: `op=${n}&kind=${kind}` }),
        });
        return [event];
      }
      case 'multipart': {
        const size = 5 * MiB + random.int(7 * MiB);
        const { event } = await uploadAndEvent(client, { Bucket: bucket, Key: key, Body: body(size, n), ContentType: 'application/octet-stream', Metadata: { op: String(n) } }, { partSize: 5 * MiB, queueSize: 2 });
        return [event];
      }
      case 'delete':
        return [(await deleteAndEvent(client, bucket, key)).event];
      case 'undelete':
        return [(await deleteAndEvent(client, bucket, key, listing.currentMarker)).event];
      case 'permanent-delete':
        return [(await deleteAndEvent(client, bucket, key, random.pick(listing.all))).event];
      case 'tag':
        return [(await putTagsAndEvent(client, bucket, key, random.pick(listing.versions), [{ Key: 'tagged', Value: String(n) }])).event];
      case 'untag':
        return [(await deleteTagsAndEvent(client, bucket, key, random.pick(listing.versions))).event];
    }
  }

  private async list(key: string): Promise<KeyListing> {
    const page = await this.client.send(new ListObjectVersionsCommand({ Bucket: this.bucket, Prefix: key }));
    const versions = (page.Versions ?? []).filter((v) => v.Key === key);
    const markers = (page.DeleteMarkers ?? []).filter((m) => m.Key === key);
    const latestMarker = markers.find((m) => m.IsLatest);
    return {
      versions: versions.map((v) => v.VersionId!),
      all: [...versions, ...markers].map((v) => v.VersionId!),
      currentIsVersion: versions.some((v) => v.IsLatest),
      currentMarker: latestMarker?.VersionId,
    };
  }
}

/** Deterministic bytes of a given size that differ from operation to operation. */
function body(size: number, n: number): Buffer {
  const bytes = Buffer.alloc(size, n % 251);
  bytes.write(`operation ${n} `.slice(0, size));
  return bytes;
}

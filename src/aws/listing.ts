import type { S3Client } from '@aws-sdk/client-s3';
import { ListObjectVersionsCommand } from '@aws-sdk/client-s3';
import type { ListObjectVersionsCommandInput, ListObjectVersionsCommandOutput } from '@aws-sdk/client-s3';
import type { DeserializeHandler, DeserializeHandlerArguments } from '@smithy/types';
import type { HistoryEntry } from '../core/facts';
import { decodeObjectKey } from '../events';

/**
 * ListObjectVersions, one page, with versions and delete markers interleaved in S3's order and
 * keys decoded. Two things the SDK alone gets wrong for a history:
 *  - it parses versions and markers into two arrays, losing their order, and LastModified cannot
 *    restore it (AWS lists it to the second, so a put and a delete in one second tie): the page's
 *    XML is read once more for the order of its elements;
 *  - keys with control characters (`\r`, …) come back altered unless listed with
 *    EncodingType=url, which every listing here uses.
 */

export interface ListedEntry extends HistoryEntry {
  key: string;
}

export interface VersionsPage {
  entries: ListedEntry[];
  truncated: boolean;
  nextKeyMarker?: string;
  nextVersionIdMarker?: string;
}

export interface VersionsPageRequest {
  bucket: string;
  prefix: string;
  keyMarker?: string;
  versionIdMarker?: string;
  maxKeys?: number;
  signal?: AbortSignal;
}

export async function listVersionsPage(client: S3Client, request: VersionsPageRequest): Promise<VersionsPage> {
  const command = new ListObjectVersionsCommand({
    Bucket: request.bucket,
    Prefix: request.prefix,
    EncodingType: 'url',
    ...(request.keyMarker !== undefined && { KeyMarker: request.keyMarker }),
    ...(request.versionIdMarker !== undefined && { VersionIdMarker: request.versionIdMarker }),
    ...(request.maxKeys !== undefined && { MaxKeys: request.maxKeys }),
  });
  const kinds: ('version' | 'marker')[] = [];
  command.middlewareStack.addRelativeTo(
    (next: DeserializeHandler<ListObjectVersionsCommandInput, ListObjectVersionsCommandOutput>) => async (args: DeserializeHandlerArguments<ListObjectVersionsCommandInput>) => {
      const result = await next(args);
      const response = result.response as { body?: unknown };
      const body = await collect(response.body);
      response.body = body;
      for (const match of Buffer.from(body).toString('utf8').matchAll(ENTRY_TAG)) kinds.push(match[1] === 'Version' ? 'version' : 'marker');
      return result;
    },
    { relation: 'after', toMiddleware: 'deserializerMiddleware', name: 'historyEntryOrder' },
  );
  const page = await client.send(command, { abortSignal: request.signal });
  const versions = page.Versions ?? [];
  const markers = page.DeleteMarkers ?? [];
  if (kinds.length === 0 && versions.length + markers.length > 0) {
    // No raw response passed through (a client whose send() is replaced): merge by time, newest first.
    kinds.push(...mergeByTime(versions.map((v) => v.LastModified), markers.map((m) => m.LastModified)));
  }
  if (kinds.length !== versions.length + markers.length) {
    throw new Error(`ListObjectVersions of ${request.prefix}: ${kinds.length} entries in the XML, ${versions.length + markers.length} parsed`);
  }
  let v = 0;
  let m = 0;
  const entries = kinds.map((kind): ListedEntry => {
    if (kind === 'version') {
      const item = versions[v++]!;
      return {
        kind,
        key: decodeKey(item.Key),
        versionId: item.VersionId ?? 'null',
        etag: item.ETag ?? '',
        size: item.Size ?? 0,
        lastModified: item.LastModified ?? new Date(0),
        isLatest: item.IsLatest === true,
        ...(item.StorageClass !== undefined && { storageClass: item.StorageClass }),
      };
    }
    const item = markers[m++]!;
    return { kind, key: decodeKey(item.Key), versionId: item.VersionId ?? 'null', etag: '', size: 0, lastModified: item.LastModified ?? new Date(0), isLatest: item.IsLatest === true };
  });
  return {
    entries,
    truncated: page.IsTruncated === true,
    // The last entry's own (decoded) key: S3 URL-encodes NextKeyMarker under EncodingType=url but
    // Ceph RGW sends it raw, so decoding it misreads (or throws on) a key holding "+" or "%".
    ...(page.NextKeyMarker !== undefined && { nextKeyMarker: entries.at(-1)?.key ?? decodeKey(page.NextKeyMarker) }),
    ...(page.NextVersionIdMarker !== undefined && { nextVersionIdMarker: page.NextVersionIdMarker }),
  };
}

/**
 * Pages through the entries of exactly `key`, newest first, until `enough` is satisfied or the
 * key's entries end. With Prefix = key the key's own entries come first; longer keys follow.
 */
export async function* keyHistoryPages(
  client: S3Client,
  bucket: string,
  key: string,
  options: { firstPageSize?: number; signal?: AbortSignal } = {},
): AsyncGenerator<{ entries: HistoryEntry[]; complete: boolean }> {
  let keyMarker: string | undefined;
  let versionIdMarker: string | undefined;
  for (let pageNumber = 0; ; pageNumber++) {
    const page = await listVersionsPage(client, {
      bucket,
      prefix: key,
      keyMarker,
      versionIdMarker,
      ...(pageNumber === 0 && options.firstPageSize !== undefined && { maxKeys: options.firstPageSize }),
      ...(options.signal !== undefined && { signal: options.signal }),
    });
    const own = page.entries.filter((e) => e.key === key).map(({ key: _key, ...entry }) => entry);
    const passedKey = page.entries.some((e) => e.key !== key);
    const complete = passedKey || !page.truncated;
    yield { entries: own, complete };
    if (complete) return;
    if (page.nextKeyMarker === keyMarker && page.nextVersionIdMarker === versionIdMarker) {
      throw new Error(`the listing of ${key} does not advance past ${keyMarker}/${versionIdMarker}`);
    }
    keyMarker = page.nextKeyMarker;
    versionIdMarker = page.nextVersionIdMarker;
  }
}

/** The kinds of two newest-first lists merged newest first (versions first on a tie). */
function mergeByTime(versions: (Date | undefined)[], markers: (Date | undefined)[]): ('version' | 'marker')[] {
  const kinds: ('version' | 'marker')[] = [];
  let v = 0;
  let m = 0;
  const time = (d: Date | undefined) => d?.getTime() ?? 0;
  while (v < versions.length || m < markers.length) {
    const takeVersion = m >= markers.length || (v < versions.length && time(versions[v]) >= time(markers[m]));
    kinds.push(takeVersion ? 'version' : 'marker');
    if (takeVersion) v++;
    else m++;
  }
  return kinds;
}

const ENTRY_TAG = /<(Version|DeleteMarker)>/g;

/** Keys listed with EncodingType=url are form-encoded, as in S3 events. */
function decodeKey(key: string | undefined): string {
  return key === undefined ? '' : decodeObjectKey(key);
}

async function collect(body: unknown): Promise<Uint8Array> {
  if (body instanceof Uint8Array) return body;
  const chunks: Buffer[] = [];
  for await (const chunk of body as AsyncIterable<Uint8Array | string>) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : Buffer.from(chunk));
  return Buffer.concat(chunks);
}

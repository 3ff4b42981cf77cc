/** A key's entries in the source bucket, as ListObjectVersions shows them. No SDK types here. */
export interface ListedVersion {
  versionId: string;
  etag: string;
  size: number;
  lastModified: Date;
  isLatest: boolean;
}

export interface ListedDeleteMarker {
  versionId: string;
  lastModified: Date;
  isLatest: boolean;
}

export interface SourceListing {
  /** Object versions of exactly this key, newest first (S3's order). */
  versions: ListedVersion[];
  deleteMarkers: ListedDeleteMarker[];
}

export type CurrentState =
  | { kind: 'version'; version: ListedVersion }
  | { kind: 'marker'; marker: ListedDeleteMarker }
  | { kind: 'absent' };

/** The source's current state: the IsLatest entry, which may be a delete marker. */
export function currentState(listing: SourceListing): CurrentState {
  const version = listing.versions.find((v) => v.isLatest);
  if (version) return { kind: 'version', version };
  const marker = listing.deleteMarkers.find((m) => m.isLatest);
  if (marker) return { kind: 'marker', marker };
  return { kind: 'absent' };
}

/**
 * A stable identity for a source version. Real version ids are unique; the "null" version of an
 * unversioned (or suspended) bucket is overwritten in place, so its identity adds the time and
 * ETag of the write.
 */
export function versionIdentity(version: Pick<ListedVersion, 'versionId' | 'etag' | 'lastModified'>): string {
  if (version.versionId !== 'null') return version.versionId;
  return `null@${version.lastModified.getTime()}@${version.etag.replace(/"/g, '')}`;
}

/** The value of the replica's marker metadata: which source version (and ETag) it holds. */
export function replicaTag(version: Pick<ListedVersion, 'versionId' | 'etag' | 'lastModified'>): string {
  return `${versionIdentity(version)};${version.etag.replace(/"/g, '')}`;
}

/**
 * Does a replica's marker metadata name this source version? Compared on the identity alone:
 * a listing may show a version's ETag empty one time and filled the next (seen on Ceph RGW).
 */
export function isReplicaOf(replicaOf: string | undefined, version: Pick<ListedVersion, 'versionId' | 'etag' | 'lastModified'>): boolean {
  return replicaOf !== undefined && replicaOf.split(';')[0] === versionIdentity(version);
}

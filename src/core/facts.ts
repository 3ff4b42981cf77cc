/**
 * What the planner knows about one key on one destination (DESIGN §4, step 1): plain data read
 * by the adapters, no SDK types. The planner decides from these facts alone, never from the
 * event that triggered the read: that is why any order of events converges.
 */

/** One entry of a key's history, as ListObjectVersions shows it: an object version or a delete marker. */
export interface HistoryEntry {
  kind: 'version' | 'marker';
  versionId: string;
  /** Quoted as S3 returns it; empty for markers (and sometimes for versions on Ceph RGW). */
  etag: string;
  size: number;
  lastModified: Date;
  isLatest: boolean;
  storageClass?: string;
}

/** A source entry with its identity: the key of the version map. */
export interface SourceEntry extends HistoryEntry {
  identity: string;
}

/** A destination entry, with what it mirrors when that is known. */
export interface DestinationEntry extends HistoryEntry {
  /**
   * The source identity a version's replica metadata names, read with HeadObject for versions the
   * map does not account for; null when it was read and the version carries none (not ours).
   * Undefined when not read (the map accounts for it, or it is a marker).
   */
  replicaOf?: string | null;
}

/** A version map entry (`V#<identity>`): where a source version or marker is mirrored, or why it cannot be. */
export interface Mapping {
  destinationVersionId?: string;
  deleteMarker: boolean;
  /** Set when the source version can never be copied: the reason. */
  unreplicable?: string;
}

/** The in-progress multipart copy of the key (`UPLOAD`). */
export interface PendingUpload {
  uploadId: string;
  sourceVersionId: string;
  sourceEtag: string;
  destinationKey: string;
}

export interface KeyFacts {
  /** The destination's key for this source key (prefixes mapped). */
  destinationKey: string;
  source: {
    /** Newest first, versions and markers interleaved in S3's order, down to where the read stopped. */
    entries: SourceEntry[];
    /** True when the read reached the oldest entry of the key (nothing older exists). */
    complete: boolean;
  };
  destination: {
    versioned: boolean;
    /** Newest first, in S3's order. An unversioned destination lists at most its one object. */
    entries: DestinationEntry[];
    complete: boolean;
  };
  mappings: ReadonlyMap<string, Mapping>;
  upload?: PendingUpload;
  /** Source identities (named by destination replicas) that no longer exist at the source. */
  goneAtSource: ReadonlySet<string>;
  /** Tags of the source's and destination's current versions, when the reader was asked to compare them. */
  currentTags?: { source: Record<string, string>; destination: Record<string, string> };
}

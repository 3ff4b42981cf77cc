import type { HistoryMode } from '../config';
import type { ChangeMessage } from '../events';
import { isNewerSequencer } from './sequencer';
import type { ListedVersion, SourceListing } from './source-state';
import { versionIdentity } from './source-state';

/** Per-destination options that decide which changes apply. */
export interface ApplyOptions {
  deleteMarkers: boolean;
  permanentDeletes: boolean;
  lifecycleExpirations: boolean;
}

export type Triage =
  | { proceed: true }
  | { proceed: false; skip: 'stale' | 'delete-markers-off' | 'lifecycle' };

/**
 * First look at a change, before any I/O on S3: is it obsolete (a newer change of the key was
 * already applied) or switched off for this destination? Tag changes and permanent deletes are
 * never stale: they name a version, not the key's latest state. A permanent delete is never
 * skipped here even when permanent deletes are off: it can change the key's current state (an
 * undelete), which must still converge; only the destination version is then kept.
 */
export function triage(change: ChangeMessage, storedSequencer: string | undefined, options: ApplyOptions): Triage {
  const isDelete = change.type === 'deleteMarker' || change.type === 'permanentDelete';
  if (isDelete && change.reason === 'Lifecycle Expiration' && !options.lifecycleExpirations) {
    return { proceed: false, skip: 'lifecycle' };
  }
  if (change.type === 'deleteMarker' && !options.deleteMarkers) return { proceed: false, skip: 'delete-markers-off' };
  const ordered = change.type === 'created' || change.type === 'deleteMarker';
  if (ordered && change.sequencer !== undefined && !isNewerSequencer(change.sequencer, storedSequencer)) {
    return { proceed: false, skip: 'stale' };
  }
  return { proceed: true };
}

export interface CopyPlanInput {
  listing: SourceListing;
  mode: HistoryMode;
  /** Versions older than this are the backfill's job (the current version is always in scope). */
  since: Date;
  /** Is this source version already mirrored on the destination? */
  isMapped: (identity: string) => boolean;
}

/**
 * Which source versions to copy, oldest first. Mode `all` walks back from the newest version to
 * the last one already mirrored (never past `since`), so the destination's history keeps the
 * source's order; mode `latest` takes only the current version. The plan depends only on the
 * listing and the map, never on which event triggered it: that is why any event order converges.
 */
export function planCopies({ listing, mode, since, isMapped }: CopyPlanInput): ListedVersion[] {
  const newestFirst = listing.versions;
  const current = newestFirst.find((v) => v.isLatest);
  if (mode === 'latest') return current && !isMapped(versionIdentity(current)) ? [current] : [];

  const pending: ListedVersion[] = [];
  for (const version of newestFirst) {
    if (isMapped(versionIdentity(version))) break;
    if (version.lastModified < since && version !== current) break;
    pending.push(version);
  }
  return pending.reverse();
}

/** The sequencer to store after applying a change: never moves backwards. */
export function nextSequencer(stored: string | undefined, change: ChangeMessage): string | undefined {
  if (change.sequencer === undefined) return stored;
  return isNewerSequencer(change.sequencer, stored) ? change.sequencer : stored;
}

/**
 * The destination key for a source key, or undefined when the key is outside the destination's
 * source prefix.
 */
export function destinationKey(sourceKey: string, sourcePrefix: string, destinationPrefix: string): string | undefined {
  if (!sourceKey.startsWith(sourcePrefix)) return undefined;
  return destinationPrefix + sourceKey.slice(sourcePrefix.length);
}

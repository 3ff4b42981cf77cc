import type { ChangeMessage } from '../events';
import { isNewerSequencer } from './sequencer';

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

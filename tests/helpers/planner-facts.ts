// Builders for the planner's unit tests: a key's facts written as plain lists, newest first, and
// turned into KeyFacts exactly as src/engine/read-key.ts fills them (isLatest on the newest
// entry, replicaOf only on versions no map entry names, goneAtSource from what replicas name).
import type { DestinationEntry, KeyFacts, Mapping, PendingUpload, SourceEntry } from '../../src/core/facts';
import type { Plan, PlanOptions } from '../../src/core/planner';

export const MiB = 1024 * 1024;
const T0 = Date.parse('2024-01-01T00:00:00Z');

/** Minute `n` of the test timeline. */
export const at = (n: number): Date => new Date(T0 + n * 60_000);

const minuteOf = (id: string) => Number(/\d+/.exec(id)?.[0] ?? 0);

/** A source object version; written at the minute its id names (v3 -> 3) unless told. */
export function version(id: string, options: { minute?: number; size?: number; etag?: string } = {}): SourceEntry {
  return { kind: 'version', versionId: id, identity: id, etag: options.etag ?? `"etag-${id}"`, size: options.size ?? 100, lastModified: at(options.minute ?? minuteOf(id)), isLatest: false };
}

/** A source delete marker. */
export function marker(id: string, options: { minute?: number } = {}): SourceEntry {
  return { kind: 'marker', versionId: id, identity: id, etag: '', size: 0, lastModified: at(options.minute ?? minuteOf(id)), isLatest: false };
}

/** A destination entry and the truth about it: which source identity it mirrors (null: not ours). */
export interface DestinationSpec {
  kind: 'version' | 'marker';
  versionId: string;
  /** What the replica metadata names (versions), or what a marker was put for; null: foreign. */
  of: string | null;
  minute?: number;
}

/** A destination version; `of` is what its replica metadata names (null: written by someone else). */
export const copyOf = (versionId: string, of: string | null, minute?: number): DestinationSpec => ({ kind: 'version', versionId, of, ...(minute !== undefined && { minute }) });

/** A destination delete marker (`of`: the source marker it was put for, if any). */
export const markerOf = (versionId: string, of: string | null = null, minute?: number): DestinationSpec => ({ kind: 'marker', versionId, of, ...(minute !== undefined && { minute }) });

export interface FactsSpec {
  /** Newest first. The first is current. */
  source: SourceEntry[];
  /** Newest first. The first is current. */
  destination: DestinationSpec[];
  /** identity -> destination version id, or a whole mapping. */
  map?: Record<string, string | Mapping>;
  upload?: PendingUpload;
  sourceComplete?: boolean;
  destinationComplete?: boolean;
  versioned?: boolean;
  /** Identities the reader was asked to check (an event's permanent delete), and whether the source still has them. */
  checked?: Record<string, 'gone' | 'present'>;
  currentTags?: KeyFacts['currentTags'];
  destinationKey?: string;
}

/** KeyFacts as the reader builds them from these lists. */
export function keyFacts(spec: FactsSpec): KeyFacts {
  const source = spec.source.map((e, i) => ({ ...e, isLatest: i === 0 }));
  const kinds = new Map(spec.destination.map((d) => [d.versionId, d.kind]));
  const mappings = new Map<string, Mapping>();
  for (const [identity, value] of Object.entries(spec.map ?? {})) {
    mappings.set(identity, typeof value === 'string' ? { destinationVersionId: value, deleteMarker: kinds.get(value) === 'marker' } : value);
  }
  const named = new Map<string, string>();
  for (const [identity, mapping] of mappings) if (mapping.destinationVersionId !== undefined) named.set(mapping.destinationVersionId, identity);
  const versioned = spec.versioned ?? true;
  const destination: DestinationEntry[] = spec.destination.map((d, i) => ({
    kind: d.kind,
    versionId: d.versionId,
    etag: d.kind === 'version' ? `"etag-${d.of ?? d.versionId}"` : '',
    size: d.kind === 'version' ? 100 : 0,
    lastModified: at(d.minute ?? 1000 + spec.destination.length - i),
    isLatest: i === 0,
    // The reader HEADs versions the map does not name (all of them on an unversioned destination).
    ...(d.kind === 'version' && (!versioned || !named.has(d.versionId)) && { replicaOf: d.of }),
  }));
  const sourceComplete = spec.sourceComplete ?? true;
  const listed = new Set(source.map((e) => e.identity));
  const goneAtSource = new Set<string>();
  for (const entry of destination) {
    const identity = named.get(entry.versionId) ?? (typeof entry.replicaOf === 'string' ? entry.replicaOf : undefined);
    // A complete listing answers for itself; past the listing's end the reader HEADs the source (here: `checked`).
    if (identity !== undefined && !listed.has(identity) && (sourceComplete || spec.checked?.[identity] !== 'present')) goneAtSource.add(identity);
  }
  for (const [identity, answer] of Object.entries(spec.checked ?? {})) if (answer === 'gone' && !listed.has(identity)) goneAtSource.add(identity);
  return {
    destinationKey: spec.destinationKey ?? 'photos/cat.jpg',
    source: { entries: source, complete: sourceComplete },
    destination: { versioned, entries: destination, complete: spec.destinationComplete ?? true },
    mappings,
    goneAtSource,
    ...(spec.upload !== undefined && { upload: spec.upload }),
    ...(spec.currentTags !== undefined && { currentTags: spec.currentTags }),
  };
}

/** Mode `all`, full history, both delete kinds on, a 64 MiB part budget. */
export const ALL: PlanOptions = { mode: 'all', since: new Date(0), deleteMarkers: true, permanentDeletes: true, memoryBudgetBytes: 64 * MiB };

export const options = (overrides: Partial<PlanOptions> = {}): PlanOptions => ({ ...ALL, ...overrides });

/** A plan's actions, one short line each, to compare whole plans exactly. */
export function steps(plan: Plan): string[] {
  return plan.actions.map((a) => {
    switch (a.kind) {
      case 'copy':
      case 'put-marker':
        return `${a.kind} ${a.entry.identity}`;
      case 'delete-version':
        return `delete-version ${a.versionId}${a.mirrorOf !== undefined ? ` of ${a.mirrorOf}` : ''}`;
      case 'delete-object':
        return 'delete-object';
      case 'sync-tags':
        return `sync-tags ${a.entry.identity} onto ${a.destinationVersionId ?? '(current)'}`;
      case 'abort-upload':
        return `abort-upload ${a.uploadId}`;
      case 'map':
        return `map ${a.identity} -> ${a.destinationVersionId ?? '(current)'}${a.deleteMarker ? ' (marker)' : ''}`;
      case 'unmap':
        return `unmap ${a.identity}`;
      case 'unreplicable':
        return `unreplicable ${a.entry.identity} (${a.reason})`;
      case 'report':
        return `report ${a.problem} ${a.versionId ?? a.identity ?? ''}`.trimEnd();
    }
  });
}

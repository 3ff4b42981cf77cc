import type { DestinationEntry, SourceEntry } from '../../core/facts';
import { formatPlan } from '../../core/format-plan';
import { KeyEngine } from '../../backfill/engine';
import { destinationKey } from '../../core/triage';
import type { CliContext } from '../context';
import { EXIT } from '../context';

/**
 * `status KEY`: one key on every destination: the source's history, the destination's, the map
 * entries, the state item and the plan (a dry run: nothing is written). Exit 1 unless in sync.
 */
export async function runStatus(ctx: CliContext, key: string, options: { history?: 'all' | 'latest' }): Promise<number> {
  const engine = new KeyEngine(ctx);
  const out = ctx.out;
  const results = [];
  let differs = false;
  for (const destination of ctx.config.destinations) {
    if (destinationKey(key, destination.sourcePrefix, destination.destinationPrefix) === undefined) {
      out.line(`destination ${destination.id}: ${JSON.stringify(key)} is outside its source prefix ${JSON.stringify(destination.sourcePrefix)}`);
      continue;
    }
    const { facts, plan, state } = await engine.run(destination, { key, compareTags: true, dryRun: true, ...(options.history !== undefined && { history: options.history }) });
    differs ||= plan.status !== 'in-sync';
    out.line(`destination ${destination.id}: ${JSON.stringify(key)} -> ${JSON.stringify(facts.destinationKey)}: ${plan.status}`);
    out.line(`  source history (newest first${facts.source.complete ? '' : ', read as deep as needed'}):`);
    for (const e of facts.source.entries) out.line(`    ${describe(e)}${facts.mappings.has(e.identity) ? `  -> ${mappingText(facts.mappings.get(e.identity)!)}` : ''}`);
    out.line(`  destination history (${facts.destination.versioned ? 'versioned' : 'unversioned'}, newest first):`);
    for (const e of facts.destination.entries) out.line(`    ${describe(e)}${e.replicaOf ? `  replica of ${e.replicaOf}` : e.replicaOf === null ? '  (no replica metadata)' : ''}`);
    out.line(`  map entries: ${facts.mappings.size}`);
    for (const [identity, m] of facts.mappings) out.line(`    ${identity} -> ${mappingText(m)}`);
    out.line(`  state: ${state ? JSON.stringify(state) : '(none)'}`);
    if (facts.upload) out.line(`  upload in progress: ${facts.upload.uploadId} of ${facts.upload.sourceVersionId}`);
    if (facts.currentTags) out.line(`  current tags: source ${JSON.stringify(facts.currentTags.source)}, destination ${JSON.stringify(facts.currentTags.destination)}`);
    const lines = formatPlan(plan);
    out.line(lines.length === 0 ? '  plan: nothing to do' : '  plan:');
    for (const line of lines) out.line(`    ${line}`);
    results.push({ destination: destination.id, destinationKey: facts.destinationKey, status: plan.status, source: facts.source, destinationHistory: facts.destination, mappings: Object.fromEntries(facts.mappings), state: state ?? null, upload: facts.upload ?? null, plan: lines });
  }
  out.result({ key, destinations: results });
  return differs ? EXIT.differences : EXIT.done;
}

function describe(e: SourceEntry | DestinationEntry): string {
  const what = e.kind === 'marker' ? 'delete marker' : `version (${e.size} bytes, ${e.etag || 'no ETag'})`;
  return `${e.isLatest ? '*' : ' '} ${e.versionId}  ${e.lastModified.toISOString()}  ${what}`;
}

function mappingText(m: { destinationVersionId?: string; deleteMarker: boolean; unreplicable?: string }): string {
  if (m.unreplicable !== undefined) return `unreplicable: ${m.unreplicable}`;
  return `${m.destinationVersionId ?? '(current)'}${m.deleteMarker ? ' (marker)' : ''}`;
}

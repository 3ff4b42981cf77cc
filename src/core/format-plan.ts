import type { Action, Plan } from './planner';

/** One line per action, with its reason: what `verify`, `status` and a dry run print. */
export function formatPlan(plan: Plan): string[] {
  return plan.actions.map(formatAction);
}

export function formatAction(action: Action): string {
  switch (action.kind) {
    case 'copy':
      return `copy ${action.entry.versionId} (${action.entry.size} bytes): ${action.why}`;
    case 'put-marker':
      return `put delete marker for ${action.entry.versionId}: ${action.why}`;
    case 'delete-version':
      return `delete destination version ${action.versionId}: ${action.why}`;
    case 'delete-object':
      return `delete destination object: ${action.why}`;
    case 'sync-tags':
      return `sync tags of ${action.entry.versionId}${action.destinationVersionId ? ` onto ${action.destinationVersionId}` : ''}: ${action.why}`;
    case 'abort-upload':
      return `abort upload ${action.uploadId}: ${action.why}`;
    case 'map':
      return `map ${action.identity} -> ${action.destinationVersionId ?? '(current)'}: ${action.why}`;
    case 'unmap':
      return `unmap ${action.identity}: ${action.why}`;
    case 'unreplicable':
      return `record ${action.entry.versionId} unreplicable (${action.reason}): ${action.why}`;
    case 'report':
      return `report ${action.problem}${action.versionId ? ` ${action.versionId}` : ''}: ${action.why}`;
  }
}

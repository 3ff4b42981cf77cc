/**
 * S3 sequencers order the events of one key: hex strings that may differ in length. Right-pad
 * the shorter with '0' and compare as strings (S3 documentation, "Event ordering").
 */
export function compareSequencers(a: string, b: string): number {
  const width = Math.max(a.length, b.length);
  const left = a.toUpperCase().padEnd(width, '0');
  const right = b.toUpperCase().padEnd(width, '0');
  if (left === right) return 0;
  return left < right ? -1 : 1;
}

/** True when `candidate` is newer than `stored` (or nothing is stored). */
export function isNewerSequencer(candidate: string, stored: string | undefined): boolean {
  return stored === undefined || compareSequencers(candidate, stored) > 0;
}

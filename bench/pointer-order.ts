/**
 * What a reader saw of one store's current-forecast pointer, and whether it ever went back. A pointer only
 * moves forward: to a forecast generated later (`generatedAt`, stamped just before its switch), of the same
 * or a later run (`order` ranks the runs in the order they were started), and never back to a run id it
 * had left. A reader that saw it go back was served an older forecast after a newer one.
 */

export interface PointerSighting {
  runId: string;
  generatedAt: string;
}

/**
 * The findings for one store's sightings (consecutive distinct pointers, in the order read). `order`
 * maps a run id to its run's rank (for example yesterday's run 0, today's 1, tomorrow's 2; a retry's
 * `<runId>:a<n>` ranks with its run); undefined = a run id nobody started, itself a finding.
 */
export function pointerWentBack(store: string, sightings: readonly PointerSighting[], order: (runId: string) => number | undefined): string[] {
  const findings: string[] = [];
  const left = new Set<string>();
  for (let i = 0; i < sightings.length; i++) {
    const now = sightings[i]!;
    const rank = order(now.runId);
    if (rank === undefined) findings.push(`${store}: pointer named ${now.runId}, a run nobody started`);
    if (i === 0) continue;
    const before = sightings[i - 1]!;
    left.add(before.runId);
    if (left.has(now.runId)) findings.push(`${store}: pointer went back to ${now.runId} after ${before.runId}`);
    else if (Date.parse(now.generatedAt) < Date.parse(before.generatedAt)) findings.push(`${store}: pointer went back from ${before.runId} (generated ${before.generatedAt}) to the older ${now.runId} (generated ${now.generatedAt})`);
    const previousRank = order(before.runId);
    if (rank !== undefined && previousRank !== undefined && rank < previousRank) findings.push(`${store}: pointer went back from run ${before.runId} to the earlier run ${now.runId}`);
  }
  return findings;
}

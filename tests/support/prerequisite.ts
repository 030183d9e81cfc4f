/**
 * Whether a test's prerequisite (a build, python3, GNU time, ...) is here. Missing under CI (CI set, as
 * GitHub Actions and .ci/run do), it is an error: the test must run there, never pass by skipping. Missing
 * elsewhere (a plain `vitest run` on a laptop), the test is skipped, saying so.
 */
export function prerequisite(present: boolean, missingInCi: string, skipped: string): boolean {
  if (!present && process.env.CI !== undefined) throw new Error(missingInCi);
  if (!present) console.warn(skipped);
  return present;
}

/**
 * Whether the tests run under CI, where a missing tool (terraform, its provider mirror, podman) fails the
 * suite instead of skipping it. CI services set CI=true; some set CI=1.
 */
export function underCi(env: NodeJS.ProcessEnv = process.env): boolean {
  return env.CI === 'true' || env.CI === '1';
}

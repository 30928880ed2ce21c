// When a workload certificate should be renewed: at half its life, a little earlier at random
// (up to `jitter` of the life) so proxies issued together do not all renew in the same instant.

export const RENEW_AT_FRACTION = 0.5;
export const RENEW_JITTER_FRACTION = 0.05;

export function renewDelayMs(
  notBefore: Date,
  notAfter: Date,
  now: number,
  random: () => number = Math.random,
): number {
  const life = notAfter.getTime() - notBefore.getTime();
  if (life <= 0) return 0;
  const at = notBefore.getTime() + life * RENEW_AT_FRACTION - life * RENEW_JITTER_FRACTION * random();
  return Math.max(0, Math.round(at - now));
}

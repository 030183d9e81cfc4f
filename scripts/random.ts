import { seededRandom } from '../engine/random.js';

export { seededRandom };

/** Standard normal draw (Box–Muller); takes two numbers from `random`. */
export function gaussian(random: () => number): number {
  const u = Math.max(random(), 1e-12);
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Poisson draw (Knuth); above `normalAbove` the rounded normal approximation. */
export function poisson(random: () => number, mean: number, normalAbove = 50): number {
  if (mean <= 0) return 0;
  if (mean > normalAbove) return Math.max(0, Math.round(mean + Math.sqrt(mean) * gaussian(random)));
  const limit = Math.exp(-mean);
  let k = 0;
  for (let p = random(); p > limit; p *= random()) k++;
  return k;
}

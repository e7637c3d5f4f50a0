import type { IndexItem } from './chroma-index.ts';
import { ZeroVectorError } from './errors.ts';
import type { Episode } from './schemas.ts';

/**
 * The vector scaled to unit length, so that cosine similarity is a dot product.
 * @throws ZeroVectorError (naming `field`) for an all-zero vector.
 */
export function unit(vector: readonly number[], field = 'situation.vector'): number[] {
  // Scale by the largest magnitude first, so tiny (denormal) or huge features neither underflow nor overflow.
  let max = 0;
  for (const x of vector) max = Math.max(max, Math.abs(x));
  if (max === 0) throw new ZeroVectorError(field);
  let sum = 0;
  for (const x of vector) sum += (x / max) ** 2;
  const scaledNorm = Math.sqrt(sum);
  return vector.map((x) => x / max / scaledNorm);
}

/** An episode as the similarity index holds it. */
export function toIndexItem(e: Episode): IndexItem {
  return {
    id: e.id,
    vector: unit(e.situation.vector),
    metadata: { symbol: e.symbol, regime: e.regime, decision: e.decision, time: e.time },
  };
}

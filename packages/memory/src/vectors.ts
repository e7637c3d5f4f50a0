import type { IndexItem } from './chroma-index.ts';
import { ZeroVectorError } from './errors.ts';
import type { Episode } from './schemas.ts';

/**
 * The vector scaled to unit length, so that cosine similarity is a dot product.
 * @throws ZeroVectorError (naming `field`) for an all-zero vector.
 */
export function unit(vector: readonly number[], field = 'situation.vector'): number[] {
  let sum = 0;
  for (const x of vector) sum += x * x;
  const norm = Math.sqrt(sum);
  if (norm === 0) throw new ZeroVectorError(field);
  return vector.map((x) => x / norm);
}

/** An episode as the similarity index holds it. */
export function toIndexItem(e: Episode): IndexItem {
  return {
    id: e.id,
    vector: unit(e.situation.vector),
    metadata: { symbol: e.symbol, regime: e.regime, decision: e.decision, time: e.time },
  };
}

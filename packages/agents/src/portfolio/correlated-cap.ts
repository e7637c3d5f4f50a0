/**
 * Caps the gross exposure of positions that are one bet. The group of symbol i is every symbol j whose
 * target has the same sign and whose return correlation with i is at least `threshold` (i included);
 * E_i = Σ_{j∈G_i} |w_j|. Each weight is scaled by f_i = min over j ∈ G_i of min(1, cap / E_j). Since
 * j ∈ G_i ⇔ i ∈ G_j, every f_j of a group member is ≤ cap / E_i, so after scaling every group's
 * exposure is ≤ cap — the bound holds for overlapping groups too — and weights only shrink (signs kept).
 * Returns the scale factor per symbol (1 when untouched).
 */
export function correlatedScales(
  targets: Readonly<Record<string, number>>,
  corr: (a: string, b: string) => number | null,
  threshold: number,
  cap: number,
): Record<string, number> {
  const symbols = Object.keys(targets).filter((s) => Number.isFinite(targets[s]) && targets[s] !== 0);
  const groups = new Map<string, string[]>();
  for (const i of symbols) {
    groups.set(
      i,
      symbols.filter((j) => {
        if (j === i) return true;
        if (Math.sign(targets[j]!) !== Math.sign(targets[i]!)) return false;
        const c = corr(i, j);
        return c !== null && c >= threshold;
      }),
    );
  }
  const own = new Map<string, number>();
  for (const [i, g] of groups) {
    const exposure = g.reduce((a, j) => a + Math.abs(targets[j]!), 0);
    own.set(i, exposure > cap ? cap / exposure : 1);
  }
  const out: Record<string, number> = {};
  for (const s of Object.keys(targets)) out[s] = 1;
  for (const [i, g] of groups) out[i] = Math.min(...g.map((j) => own.get(j)!));
  return out;
}

/** A token count from a provider's usage field: a non-negative integer, or 0 when missing or invalid. */
export function tokenCount(value: unknown): number {
  return typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : 0;
}

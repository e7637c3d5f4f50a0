/** The key under which a `canServe(task, { critical })` answer is recorded. */
export function canServeKey(task: string, critical: boolean): string {
  return `canServe\u0000${task}\u0000${critical ? 1 : 0}`;
}

/** The key under which `budgetStatus()` answers are recorded. */
export const BUDGET_STATUS_KEY = 'budgetStatus';

import { z } from 'zod';

/** How urgently a message must be handled. A mailbox serves critical before high before normal before low. */
export const Priority = {
  CRITICAL: 'critical',
  HIGH: 'high',
  NORMAL: 'normal',
  LOW: 'low',
} as const;

/** One of {@link Priority}'s values. */
export type Priority = (typeof Priority)[keyof typeof Priority];

/** The priorities, most urgent first. */
export const PRIORITIES = [Priority.CRITICAL, Priority.HIGH, Priority.NORMAL, Priority.LOW] as const;

/** Schema of a {@link Priority}. */
export const prioritySchema = z.enum(PRIORITIES);

/** Position of a priority in {@link PRIORITIES}: 0 for critical … 3 for low. */
export function priorityRank(p: Priority): 0 | 1 | 2 | 3 {
  switch (p) {
    case 'critical':
      return 0;
    case 'high':
      return 1;
    case 'normal':
      return 2;
    case 'low':
      return 3;
    default: {
      const never: never = p;
      throw new TypeError(`unknown priority ${String(never)}`);
    }
  }
}

import type { z } from 'zod';

/** One problem in a validated document: the dotted key path and what is wrong with it. */
export interface KeyIssue {
  /** Dotted key path, e.g. `broker.feeBps` or `run.data[0].source`; `(root)` for the whole document. */
  readonly path: string;
  /** What is wrong, in words. */
  readonly message: string;
}

/** Turns zod issues into key paths (`run.data[0].source`) and messages; unknown keys name the key. */
export function toIssues(issues: readonly z.core.$ZodIssue[]): KeyIssue[] {
  const out: KeyIssue[] = [];
  for (const i of issues) {
    if (i.code === 'unrecognized_keys') {
      for (const key of i.keys) out.push({ path: formatPath([...i.path, key]), message: 'unknown key' });
      continue;
    }
    if (i.code === 'invalid_union' && i.errors.length > 0) {
      // Report the branch that got furthest (the most specific issue), not "invalid input".
      const best = i.errors.reduce((a, b) => (deepest(b) > deepest(a) ? b : a));
      out.push(...toIssues(best.map((x) => ({ ...x, path: [...i.path, ...x.path] }))));
      continue;
    }
    out.push({ path: formatPath(i.path), message: i.message });
  }
  return out;
}

function deepest(issues: readonly z.core.$ZodIssue[]): number {
  return Math.max(...issues.map((x) => x.path.length));
}

function formatPath(path: readonly PropertyKey[]): string {
  let s = '';
  for (const p of path) s += typeof p === 'number' ? `[${p}]` : s === '' ? String(p) : `.${String(p)}`;
  return s === '' ? '(root)' : s;
}

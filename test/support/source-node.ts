/**
 * How tests and benchmarks start Node on Orrery's TypeScript sources, built or not: with the
 * `@orrery/source` export condition every `@orrery/*` import resolves to `src/index.ts` (never a stale
 * `dist/`), and tsx compiles it. The one place that spells these flags; every spawn uses it.
 */
import { fileURLToPath } from 'node:url';

/** Node flag selecting the `@orrery/source` condition that each package's `exports` lists first. */
export const SOURCE_CONDITION = '--conditions=@orrery/source';

/** Node flags that run a TypeScript file or `-e` script against the sources: the condition plus tsx. */
export const SOURCE_NODE_FLAGS: readonly string[] = [SOURCE_CONDITION, '--import', 'tsx'];

/** The `orrery` executable (apps/runner/bin/orrery.mjs). */
export const ORRERY_BIN = fileURLToPath(new URL('../../apps/runner/bin/orrery.mjs', import.meta.url));

/**
 * Arguments for `process.execPath` that run `orrery <args>` from the sources. Only the condition is
 * passed: the bin sees `#cli` resolve to `src/cli.ts` and registers tsx itself (bin/from-source.mjs).
 */
export function orreryArgv(args: readonly string[]): string[] {
  return [SOURCE_CONDITION, ORRERY_BIN, ...args];
}

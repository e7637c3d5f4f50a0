/**
 * Runs every `bench/*.bench.ts` (or those named on the command line) one after the other.
 * Each file exports `default async function run(): Promise<void>` and prints its own figures as a ratio
 * against a baseline measured in the same run.
 *
 *   pnpm bench              # all
 *   pnpm bench gateway bus  # only bench/gateway.bench.ts and bench/bus.bench.ts
 */
import { readdirSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';

const dir = fileURLToPath(new URL('.', import.meta.url));
const wanted = process.argv.slice(2);
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.bench.ts'))
  .filter((f) => wanted.length === 0 || wanted.includes(f.replace(/\.bench\.ts$/, '')))
  .sort();

if (files.length === 0) {
  console.error(`no benchmark matches ${wanted.join(', ') || '(none present)'}`);
  process.exitCode = 1;
}

for (const file of files) {
  console.log(`\n## ${file}`);
  const mod = (await import(pathToFileURL(`${dir}${file}`).href)) as { default?: () => Promise<void> };
  if (typeof mod.default !== 'function') {
    console.error(`${file} has no default export run(); skipped`);
    process.exitCode = 1;
    continue;
  }
  await mod.default();
}

#!/usr/bin/env node
// The `orrery` command. Runs the compiled JavaScript in dist/ (package import `#cli`). From a checkout
// with no build, or when started with `--conditions=@orrery/source` (what the tests and `pnpm orrery` do),
// it runs the TypeScript sources through tsx instead (a dev dependency; see ./from-source.mjs).
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const cli = import.meta.resolve('#cli');
if (cli.endsWith('.ts') || !existsSync(fileURLToPath(cli))) await import('./from-source.mjs');
const { main } = await import('#cli');
process.exitCode = await main(process.argv);

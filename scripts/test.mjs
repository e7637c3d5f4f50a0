#!/usr/bin/env node
// Runs the whole test suite once and ends with one line "N passed, N failed" (CI reads it).
// Makes sure the external servers the tests start (nats-server) are installed first.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

if (!have('nats-server')) {
  const asRoot = process.getuid?.() === 0;
  const sudo = asRoot ? [] : have('sudo') ? ['sudo', '-n'] : null;
  if (sudo && have('apt-get')) {
    console.log('installing nats-server from Debian packages (tests start it on loopback)…');
    const run = (args) =>
      spawnSync(sudo[0] ?? args[0], sudo[0] ? [...sudo.slice(1), ...args] : args.slice(1), {
        stdio: 'inherit',
      });
    run(['apt-get', 'install', '-y', '-q', 'nats-server']);
    if (!have('nats-server')) {
      run(['apt-get', 'update', '-q']);
      run(['apt-get', 'install', '-y', '-q', 'nats-server']);
    }
  }
  if (!have('nats-server')) {
    console.error(
      'nats-server is not installed and could not be installed: install it (apt-get install nats-server) and run again.',
    );
  }
}

const out = join(root, '.vitest-results.json');
rmSync(out, { force: true });
// vitest's own entry, run with this Node: works whether pnpm is installed globally or came through npx.
const vitest = join(root, 'node_modules', 'vitest', 'vitest.mjs');
const args = [
  vitest,
  'run',
  '--reporter=default',
  '--reporter=json',
  `--outputFile.json=${out}`,
  ...process.argv.slice(2),
];
const res = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });

let passed = 0;
let failed = 0;
if (existsSync(out)) {
  const r = JSON.parse(readFileSync(out, 'utf8'));
  passed = r.numPassedTests ?? 0;
  failed =
    (r.numFailedTests ?? 0) +
    (r.testResults ?? []).filter((f) => f.status === 'failed' && (f.assertionResults ?? []).length === 0)
      .length;
} else {
  failed = 1;
}
if (res.status !== 0 && failed === 0) failed = 1;
console.log(`${passed} passed, ${failed} failed`);
process.exit(failed === 0 ? 0 : 1);

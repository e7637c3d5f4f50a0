#!/usr/bin/env node
// Runs the whole test suite once and ends with one line "N passed, N failed" (CI reads it).
// Makes sure what the tests start (nats-server, chromium) is installed first, where apt-get may be used.
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

// What the tests start: nats-server (the bus), chromium (the HTML report check; skipped without it).
const needed = [
  { pkg: 'nats-server', present: () => have('nats-server') },
  { pkg: 'chromium', present: () => existsSync('/usr/bin/chromium') },
].filter((n) => !n.present());
if (needed.length > 0) {
  const pkgs = needed.map((n) => n.pkg);
  const asRoot = process.getuid?.() === 0;
  const prefix = asRoot ? [] : have('sudo') ? ['sudo', '-n'] : null;
  if (prefix && have('apt-get')) {
    console.log(`installing from Debian packages: ${pkgs.join(', ')}…`);
    const apt = (...args) => {
      const cmd = [...prefix, 'apt-get', ...args];
      spawnSync(cmd[0], cmd.slice(1), { stdio: 'inherit' });
    };
    apt('install', '-y', '-q', ...pkgs);
    if (needed.some((n) => !n.present())) {
      apt('update', '-q');
      apt('install', '-y', '-q', ...pkgs);
    }
  }
  for (const n of needed.filter((x) => !x.present())) {
    console.error(
      `${n.pkg} is not installed and could not be installed: apt-get install ${n.pkg}, then run again.`,
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

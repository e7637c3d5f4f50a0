#!/usr/bin/env node
// `pnpm build`: compiles every workspace package that has a tsconfig.build.json to its dist/ (JavaScript,
// .d.ts, source maps), dependencies first, each from a clean dist/. Development never needs this: tests,
// tsx and tsc read the sources through the `@orrery/source` export condition.
//   node scripts/build.mjs            # all
//   node scripts/build.mjs --list     # print the package directories in build order, build nothing
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const root = new URL('..', import.meta.url).pathname;

/** The workspace's package directories, from pnpm-workspace.yaml's `packages:` globs (`dir/*` or `dir`). */
function workspaceDirs() {
  const yaml = readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8');
  const block = /^packages:\n((?:[ \t]+-.*\n?)+)/m.exec(yaml)?.[1] ?? '';
  const globs = [...block.matchAll(/-\s*['"]?([^'"\n#]+?)['"]?\s*$/gm)].map((m) => m[1]);
  return globs.flatMap((g) => {
    if (!g.endsWith('/*')) return [g];
    const parent = g.slice(0, -2);
    return readdirSync(join(root, parent), { withFileTypes: true })
      .filter((e) => e.isDirectory())
      .map((e) => `${parent}/${e.name}`);
  });
}

/** Buildable packages (those with a tsconfig.build.json), dependencies before dependents. */
function buildOrder() {
  const pkgs = workspaceDirs()
    .filter((d) => existsSync(join(root, d, 'tsconfig.build.json')))
    .map((dir) => {
      const p = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
      return { dir, name: p.name, deps: Object.keys({ ...p.dependencies, ...p.devDependencies }) };
    });
  const byName = new Map(pkgs.map((p) => [p.name, p]));
  const order = [];
  const state = new Map();
  const visit = (p, path) => {
    if (state.get(p.name) === 'done') return;
    if (state.get(p.name) === 'busy') throw new Error(`dependency cycle: ${[...path, p.name].join(' → ')}`);
    state.set(p.name, 'busy');
    for (const d of p.deps) if (byName.has(d)) visit(byName.get(d), [...path, p.name]);
    state.set(p.name, 'done');
    order.push(p);
  };
  for (const p of pkgs) visit(p, []);
  return order;
}

const order = buildOrder();
if (process.argv.includes('--list')) {
  for (const p of order) console.log(p.dir);
} else {
  const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
  for (const p of order) {
    const dir = join(root, p.dir);
    rmSync(join(dir, 'dist'), { recursive: true, force: true });
    const res = spawnSync(process.execPath, [tsc, '-p', 'tsconfig.build.json'], {
      cwd: dir,
      stdio: 'inherit',
    });
    if (res.status !== 0) {
      console.error(`build failed in ${p.dir} (tsc exited ${res.status ?? res.signal})`);
      process.exit(1);
    }
    console.log(`built ${p.name} → ${p.dir}/dist`);
  }
}

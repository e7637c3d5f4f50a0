import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const DIRS: Record<string, string> = {
  'apps/runner': 'apps/runner',
  '@orrery/broker': 'packages/broker',
  '@orrery/feeds': 'packages/feeds',
  '@orrery/agents': 'packages/agents',
  '@orrery/memory': 'packages/memory',
  '@orrery/workflow': 'packages/workflow',
  '@orrery/bus': 'packages/bus',
  '@orrery/core': 'packages/core',
  '@orrery/errors': 'packages/errors',
};

/** The "Exactly these imports" list of DESIGN.md: package → the Orrery packages it may import. */
function designed(): Map<string, string[]> {
  const text = readFileSync(join(ROOT, 'DESIGN.md'), 'utf8');
  const out = new Map<string, string[]>();
  for (const m of text.matchAll(/^- `([^`]+)` → (.+)$/gm)) {
    const deps = m[2] === '(none)' ? [] : [...m[2]!.matchAll(/`(@orrery\/[a-z]+)`/g)].map((d) => d[1]!);
    out.set(m[1]!, deps.sort());
  }
  return out;
}

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? sources(path) : /\.(ts|mts|mjs)$/.test(name) ? [path] : [];
  });
}

/** Every module specifier of a source file: static imports, re-exports and dynamic `import()`. */
function specifiers(text: string): string[] {
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s*|\bimport\s*\(\s*|^\s*import\s+)['"]([^'"]+)['"]/gm))
    out.push(m[1]!);
  return out;
}

/** Whether `@orrery/x/sub` names a subpath that package x declares in its `exports` map. */
function exported(spec: string): boolean {
  const [, name, sub] = /^@orrery\/([a-z]+)\/(.+)$/.exec(spec) ?? [];
  const dir = [join('packages', name ?? ''), join('apps', name ?? '')].find((d) =>
    existsSync(join(ROOT, d, 'package.json')),
  );
  if (!dir) return false;
  const json = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as {
    exports?: Record<string, unknown>;
  };
  return Object.hasOwn(json.exports ?? {}, `./${sub}`);
}

/** What a package's sources import that they must not: another package's files, by path or subpath. */
function trespasses(dir: string): string[] {
  const own = join(ROOT, dir);
  const out: string[] = [];
  for (const file of sources(join(own, 'src'))) {
    for (const spec of specifiers(readFileSync(file, 'utf8'))) {
      const where = `${relative(ROOT, file)}: ${spec}`;
      if (spec.startsWith('.') && relative(own, resolve(dirname(file), spec)).startsWith('..'))
        out.push(where);
      else if (/^@orrery\/[a-z]+\//.test(spec) && !exported(spec)) out.push(where);
    }
  }
  return out;
}

/** A cycle in the designed arrows (`a → b → … → a`), or undefined. */
function cycleIn(graph: Map<string, string[]>): string[] | undefined {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | undefined => {
    if (state.get(node) === 'done') return undefined;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const found = visit(next);
      if (found) return found;
    }
    path.pop();
    state.set(node, 'done');
    return undefined;
  };
  for (const node of graph.keys()) {
    const found = visit(node);
    if (found) return found;
  }
  return undefined;
}

describe('imports flow one way', () => {
  it('the designed arrows have no cycle, so no package imports upward', () => {
    expect(cycleIn(designed())).toBeUndefined();
  });
  it('finds a cycle when there is one', () => {
    const g = new Map([
      ['a', ['b']],
      ['b', ['c']],
      ['c', ['a']],
      ['d', []],
    ]);
    expect(cycleIn(g)).toEqual(['a', 'b', 'c', 'a']);
  });
  for (const [pkg, dir] of Object.entries(DIRS)) {
    it(`${pkg}: sources import no other package's files (no ../ out of the package, no @orrery/x/src)`, () => {
      expect(trespasses(dir)).toEqual([]);
    });
  }
  it('reads static, re-exported and dynamic specifiers', () => {
    const text = [
      "import { a } from '@orrery/core';",
      "export * from '../../core/src/x.ts';",
      "const m = await import('@orrery/bus/src/y.ts');",
      "import 'side-effect';",
    ].join('\n');
    expect(specifiers(text)).toEqual([
      '@orrery/core',
      '../../core/src/x.ts',
      '@orrery/bus/src/y.ts',
      'side-effect',
    ]);
  });
});

describe("DESIGN.md's package arrows are true", () => {
  const design = designed();
  it('lists every package', () => {
    expect([...design.keys()].sort()).toEqual(Object.keys(DIRS).sort());
  });
  for (const [pkg, dir] of Object.entries(DIRS)) {
    it(`${pkg}: package.json dependencies and src imports are exactly the designed ones`, () => {
      const json = JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as {
        dependencies?: Record<string, string>;
      };
      const declared = Object.keys(json.dependencies ?? {})
        .filter((d) => d.startsWith('@orrery/'))
        .sort();
      const imported = new Set<string>();
      for (const file of sources(join(ROOT, dir, 'src'))) {
        for (const spec of specifiers(readFileSync(file, 'utf8'))) {
          const m = /^(@orrery\/[a-z]+)/.exec(spec);
          if (m) imported.add(m[1]!);
        }
      }
      expect(declared).toEqual(design.get(pkg));
      expect([...imported].sort()).toEqual(design.get(pkg));
    });
  }
});

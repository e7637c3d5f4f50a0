import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const ROOT = join(import.meta.dirname, '..');
const DIRS: Record<string, string> = {
  'apps/runner': 'apps/runner',
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
        for (const m of readFileSync(file, 'utf8').matchAll(/from '(@orrery\/[a-z]+)/g)) imported.add(m[1]!);
      }
      expect(declared).toEqual(design.get(pkg));
      expect([...imported].sort()).toEqual(design.get(pkg));
    });
  }
});

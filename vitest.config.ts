import { defineConfig } from 'vitest/config';

// Tests run on the TypeScript sources: every @orrery/* package's exports put the `@orrery/source`
// condition first (→ src/index.ts), so no build is needed and a stale dist/ is never what is tested.
// The rest is Vite's default for server code (vite's `defaultServerConditions`, not a dependency here).
const conditions = ['@orrery/source', 'module', 'node', 'development|production'];

export default defineConfig({
  resolve: { conditions },
  ssr: { resolve: { conditions } },
  test: {
    include: ['packages/*/test/**/*.test.ts', 'apps/*/test/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: 'forks',
    setupFiles: ['test/setup/fast-check.ts'],
  },
});

/**
 * What a user outside the workspace gets. Builds, `pnpm pack`s every publishable package of the workspace,
 * `npm install`s the tarballs into a fresh project in the OS temp dir, then runs plain Node there (no tsx,
 * no source condition): an ESM script embeds the technical planet and makes its one LLM call through a
 * gateway to the loopback LLM server this test runs, the installed `orrery --help` runs compiled, and
 * `orrery paper --data btc` trades the data set bundled in `@orrery/feeds`. A TypeScript consumer (and
 * `examples/embed-planet/server.ts`) type-checks against the installed declarations with
 * `tsc --module nodenext --strict`, and the example, compiled, serves with plain node.
 * Needs the npm registry (or npm's cache) for the third-party dependencies.
 */
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort, type LlmServer, startLlmServer, tempDir } from '@orrery/testkit';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PLANET_ANSWER, syntheticBars } from '../apps/runner/test/support/serve-harness.ts';

const ROOT = join(import.meta.dirname, '..');
const PNPM = `pnpm@${(JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { packageManager: string }).packageManager.replace(/^pnpm@/, '')}`;
const MINUTES = 60_000;

/** Runs a command to completion; throws with its output unless it exits 0. */
function run(cmd: string, args: readonly string[], opts: { cwd: string; env?: NodeJS.ProcessEnv }) {
  const res = spawnSync(cmd, args, { ...opts, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (res.status !== 0) {
    throw new Error(
      `${cmd} ${args.join(' ')} (in ${opts.cwd}) exited ${res.status}:\n${res.stdout}\n${res.stderr}`,
    );
  }
  return res.stdout;
}

/** Like run, without blocking this process (which serves the loopback LLM server the child calls). */
function runAsync(cmd: string, args: readonly string[], opts: { cwd: string; env: NodeJS.ProcessEnv }) {
  return new Promise<string>((resolve, reject) => {
    const child = spawn(cmd, args, { ...opts, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${out}\n${err}`)),
    );
  });
}

/** Workspace package directories that publish (buildable and not `private`), in build order. */
function publishable(): string[] {
  return run(process.execPath, ['scripts/build.mjs', '--list'], { cwd: ROOT })
    .split('\n')
    .filter(Boolean)
    .filter(
      (d) =>
        (JSON.parse(readFileSync(join(ROOT, d, 'package.json'), 'utf8')) as { private?: boolean }).private !==
        true,
    );
}

const APP = `
import { createMoonBank, createPlanet } from '@orrery/agents';
import { createGateway } from '@orrery/core';

const gateway = createGateway(
  { routing: { default: { prefer: [{ provider: 'openai', model: 'tarball-model' }] } } },
  { env: process.env },
);
const planet = createPlanet('technical', { gateway });
const moons = createMoonBank({ symbol: 'SPY' });
let snapshot;
for (const bar of JSON.parse(process.env.BARS)) snapshot = moons.update(bar);
const report = await planet.analyze(snapshot);
await gateway.close();
console.log(JSON.stringify({ report, core: import.meta.resolve('@orrery/core') }));
`;

/**
 * A TypeScript consumer of the installed packages: under `--strict`, a package whose declarations do not
 * resolve is an error (TS7016), and one typed as `any` leaves the `@ts-expect-error`s unused (TS2578).
 */
const CONSUMER_TS = `
import { type Bar, createMoonBank, createPlanet, type MoonSnapshot, type PlanetReport } from '@orrery/agents';
import { createGateway, type Gateway } from '@orrery/core';

const gateway: Gateway = createGateway({ routing: { default: { prefer: [{ provider: 'openai', model: 'm' }] } } });
const planet = createPlanet('technical', { gateway });
const moons = createMoonBank({ symbol: 'SPY' });
const bar: Bar = { time: 0, open: 1, high: 1, low: 1, close: 1, volume: 0 };
const snapshot: MoonSnapshot = moons.update(bar);
const report: PlanetReport = await planet.analyze(snapshot);
const signal: number = report.signal;
// @ts-expect-error not a planet kind
createPlanet('no-such-planet');
// @ts-expect-error a signal is a number
const wrong: string = report.signal;
console.log(signal, wrong);
await gateway.close();
`;

/** \`tsc --module nodenext\` as a consumer runs it, with the workspace's TypeScript and Node types. */
function tscNodenext(cwd: string, files: readonly string[]): string {
  return run(
    process.execPath,
    [
      join(ROOT, 'node_modules/typescript/bin/tsc'),
      ...['--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--strict'],
      ...['--types', 'node', '--typeRoots', join(ROOT, 'node_modules/@types'), '--outDir', 'out'],
      ...files,
    ],
    { cwd },
  );
}

describe('the packed packages, installed with npm outside the workspace', () => {
  const work = tempDir('orrery-tarballs-');
  const tarballs = join(work.path, 'tarballs');
  const app = join(work.path, 'app');
  let llm: LlmServer;
  let packed: string[] = [];

  beforeAll(async () => {
    llm = await startLlmServer();
    run(process.execPath, ['scripts/build.mjs'], { cwd: ROOT });
    for (const dir of publishable()) {
      run('npx', ['-y', PNPM, 'pack', '--pack-destination', tarballs], { cwd: join(ROOT, dir) });
    }
    packed = readdirSync(tarballs).map((f) => join(tarballs, f));
    run('mkdir', ['-p', app], { cwd: work.path });
    writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
    run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', ...packed], {
      cwd: app,
      env: { ...process.env, npm_config_nodedir: '/usr' },
    });
  }, 20 * MINUTES);

  afterAll(async () => {
    await llm?.close();
    work.remove();
  });

  it('packs every publishable package with real semver ranges and dist/, without tests or sources', () => {
    expect(packed.length).toBe(publishable().length);
    for (const dir of publishable()) {
      const name = (JSON.parse(readFileSync(join(ROOT, dir, 'package.json'), 'utf8')) as { name: string })
        .name;
      const installed = join(app, 'node_modules', name);
      const json = readFileSync(join(installed, 'package.json'), 'utf8');
      expect(json).not.toMatch(/workspace:/);
      const files = run('find', ['.', '-type', 'f'], { cwd: installed }).split('\n').filter(Boolean);
      expect(files).toContain('./dist/index.js');
      expect(files).toContain('./dist/index.d.ts');
      expect(files.filter((f) => f.startsWith('./test/') || f.startsWith('./src/'))).toEqual([]);
      expect(files.filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))).toEqual([]);
    }
  });

  it('a plain Node ESM script embeds a planet that makes one gateway call to the loopback LLM server', async () => {
    llm.script('tarball-model', [{ json: PLANET_ANSWER }]);
    writeFileSync(join(app, 'app.mjs'), APP);
    const out = await runAsync(process.execPath, ['app.mjs'], {
      cwd: app,
      env: {
        PATH: process.env.PATH ?? '',
        OPENAI_BASE_URL: `${llm.url}/v1`,
        OPENAI_API_KEY: 'sk-tarball',
        BARS: JSON.stringify(syntheticBars(120)),
      },
    });
    const { report, core } = JSON.parse(out.trim().split('\n').at(-1) as string) as {
      report: { planet: string; source: string; signal: number };
      core: string;
    };
    expect(core).toBe(`file://${join(app, 'node_modules/@orrery/core/dist/index.js')}`);
    expect(report).toMatchObject({ planet: 'technical', source: 'llm', signal: PLANET_ANSWER.signal });
    expect(llm.requestsFor('tarball-model')).toHaveLength(1);
  });

  it(
    'a TypeScript consumer and examples/embed-planet type-check with --module nodenext; the example serves with plain node',
    async () => {
      writeFileSync(join(app, 'consumer.ts'), CONSUMER_TS);
      copyFileSync(join(ROOT, 'examples/embed-planet/server.ts'), join(app, 'server.ts'));
      expect(tscNodenext(app, ['consumer.ts', 'server.ts'])).toBe('');
      llm.script('example-model', [{ json: PLANET_ANSWER }]);
      const child = spawn(process.execPath, ['out/server.js'], {
        cwd: app,
        env: {
          PATH: process.env.PATH ?? '',
          PORT: '0',
          PLANET_MODEL: 'example-model',
          OPENAI_BASE_URL: `${llm.url}/v1`,
          OPENAI_API_KEY: 'sk-example',
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      try {
        const url = await new Promise<string>((resolve, reject) => {
          let out = '';
          child.stdout.setEncoding('utf8').on('data', (c: string) => {
            out += c;
            const m = /on (http:\/\/\S+\/analyze)/.exec(out);
            if (m?.[1] !== undefined) resolve(m[1]);
          });
          child.once('exit', (code) => reject(new Error(`the example exited ${code}:\n${out}`)));
        });
        const res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ symbol: 'SPY', bars: syntheticBars(120) }),
        });
        expect(res.status).toBe(200);
        expect(await res.json()).toMatchObject({
          planet: 'technical',
          source: 'llm',
          signal: PLANET_ANSWER.signal,
        });
        expect(llm.requestsFor('example-model')).toHaveLength(1);
      } finally {
        child.kill('SIGTERM');
      }
    },
    10 * MINUTES,
  );

  it('the installed orrery command runs compiled with plain node (tsx is not installed)', () => {
    expect(() => run(process.execPath, ['-e', "import('tsx')"], { cwd: app })).toThrow();
    const out = run(process.execPath, [join(app, 'node_modules/.bin/orrery'), '--help'], { cwd: app });
    expect(out).toMatch(/^Usage: orrery/);
  });

  it('the installed orrery paper --data btc trades the data set bundled in @orrery/feeds', async () => {
    const closed = await freePort();
    writeFileSync(
      join(app, 'orrery.yaml'),
      `gateway:\n  routing:\n    localBaseUrl: http://127.0.0.1:${closed}/v1\n`,
    );
    const out = run(
      process.execPath,
      [
        join(app, 'node_modules/.bin/orrery'),
        'paper',
        '--data',
        'btc',
        '--from',
        '2020-12-01',
        '--no-memory',
        '--run-id',
        'tarball',
        '--config',
        join(app, 'orrery.yaml'),
      ],
      { cwd: app, env: { PATH: process.env.PATH ?? '', HOME: work.path } },
    );
    expect(out).toMatch(/Run tarball · BTC\/USDT · 2020-12-01 \.\. 2021-01-12 · \d+ cycles/);
  });
});

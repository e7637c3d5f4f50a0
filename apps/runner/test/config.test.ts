import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { tempDir } from '@orrery/testkit';
import { afterEach, describe, expect, it } from 'vitest';
import { orreryArgv } from '../../../test/support/source-node.ts';
import { forRun, loadConfig } from '../src/config/load.ts';
import { orreryJsonSchema } from '../src/config/schema.ts';
import { ConfigError, RunnerErrorCode } from '../src/errors.ts';

const example = fileURLToPath(new URL('../../../orrery.example.yaml', import.meta.url));

describe('configuration', () => {
  const dirs: { path: string; remove(): void }[] = [];
  afterEach(() => {
    for (const d of dirs.splice(0)) d.remove();
  });
  const yamlFile = (text: string) => {
    const d = tempDir('orrery-config-');
    dirs.push(d);
    const file = join(d.path, 'orrery.yaml');
    writeFileSync(file, text);
    return { dir: d.path, file };
  };
  const issuesOf = (text: string) => {
    try {
      loadConfig({ file: yamlFile(text).file });
    } catch (err) {
      expect(err).toBeInstanceOf(ConfigError);
      return (err as ConfigError).issues.map((i) => `${i.path}: ${i.message}`);
    }
    throw new Error('expected a ConfigError');
  };

  it('needs no file: the defaults run the bundled SPY data, each run with its own memory', () => {
    const d = tempDir('orrery-config-');
    dirs.push(d);
    const { config, source } = loadConfig({ cwd: d.path, env: {} });
    expect(source).toBe('(defaults)');
    expect(config.run.data).toEqual([{ source: 'spy' }]);
    expect(config.run.ledgerPath).toBe(join(d.path, '.orrery/ledger.db'));
    expect(config.memory).toMatchObject({
      dbPath: join(d.path, '.orrery/memory/{runId}/episodes.db'),
      chroma: { mode: 'embedded', dataDir: join(d.path, '.orrery/memory/{runId}/chroma') },
    });
    expect(forRun(config, 'r7').memory).toMatchObject({
      dbPath: join(d.path, '.orrery/memory/r7/episodes.db'),
      chroma: { dataDir: join(d.path, '.orrery/memory/r7/chroma') },
    });
    expect(config.broker).toMatchObject({ initialCash: 100_000, feeBps: 10, allowShort: false });
  });

  it('the example file in the repo is valid', () => {
    const { config } = loadConfig({ file: example, env: {} });
    expect(config.run.live.symbol).toBe('BTC/USDT');
    expect(config.gateway.routing.default.prefer[0]).toEqual({ provider: 'openai', model: 'gpt-4o-mini' });
  });

  it('names the key path and the problem of every error, in every section', () => {
    expect(
      issuesOf(`
broker:
  feeBps: -3
  fee: 1
run:
  data:
    - source: spy
      columns: { when: Date }
  from: last tuesday
agents:
  risk:
    maxPositionFraction: 2
memory:
  dbPath: ""
gateway:
  budget:
    maxCallsPerHour: lots
`),
    ).toEqual([
      'gateway.budget.maxCallsPerHour: Invalid input: expected number, received string',
      'agents.risk.maxPositionFraction: Too big: expected number to be <=1',
      'memory.dbPath: Too small: expected string to have >=1 characters',
      'broker.feeBps: Too small: expected number to be >=0',
      'broker.fee: unknown key',
      'run.data[0].columns.when: unknown key',
      'run.from: must be a date like 2015-01-31 (UTC)',
    ]);
    expect(issuesOf('surprise: 1\n')).toEqual(['surprise: unknown key']);
  });

  it('a routing tree is checked against the planets that run, with key paths', () => {
    const tree = (otherwise: string, planets: string) => `
agents:
  routing:
    name: analysis
    router: { rules: [{ when: { field: news, above: 0 }, go: both }], otherwise: ${otherwise} }
    left: { name: technical }
    right: { name: fundamental, planets: [${planets}] }
`;
    expect(issuesOf(tree('sideways', 'sentiment'))).toEqual([
      'agents.routing.router.otherwise: Invalid option: expected one of "left"|"right"|"both"',
    ]);
    expect(issuesOf(tree('left', 'astrology'))).toEqual([
      "agents.routing.analysis.fundamental.planets: unknown planet 'astrology' (planets: technical, risk, sentiment, execution)",
    ]);
    expect(
      loadConfig({ file: yamlFile(tree('left', 'sentiment')).file }).config.agents.routing,
    ).toMatchObject({
      name: 'analysis',
    });
  });

  it("rejects a misspelt key inside the packages' sections instead of ignoring it", () => {
    expect(
      issuesOf(`
gateway:
  budget:
    maxCallsPerHr: 10
agents:
  risk:
    maxPositionFracton: 0.1
memory:
  dbPath: m.db
  shortTermSise: 5
`),
    ).toEqual([
      'gateway.budget.maxCallsPerHr: unknown key',
      'agents.risk.maxPositionFracton: unknown key',
      'memory.shortTermSise: unknown key',
    ]);
  });

  it('validates the delegation section with the rest of the file', () => {
    expect(issuesOf('delegation:\n  concurrency: 0\n  tasks:\n    review: { maxTokens: lots }\n')).toEqual([
      'delegation.tasks.review.maxTokens: Invalid input: expected number, received string',
      'delegation.concurrency: Too small: expected number to be >=1',
    ]);
  });

  it('checks that the sections agree with each other', () => {
    expect(issuesOf('agents: { risk: { allowShort: true, maxExposure: 2 } }\n')).toEqual([
      'broker.allowShort: must be true when agents.risk.allowShort is true (the broker would refuse the shorts)',
      'agents.risk.maxExposure: must not exceed broker.maxLeverage (1)',
    ]);
    expect(issuesOf('gateway: { budget: { maxCallsPerHour: 5, reserveCalls: 10 } }\n')).toEqual([
      'gateway.budget.reserveCalls: must not exceed budget.maxCallsPerHour (5)',
    ]);
  });

  it('says where a file is not YAML, and when it cannot be read', () => {
    const err = (() => {
      try {
        loadConfig({ file: yamlFile('broker: [1,\n').file });
      } catch (e) {
        return e as ConfigError;
      }
    })()!;
    expect(err.code).toBe(RunnerErrorCode.CONFIG_FILE);
    expect(err.message).toContain('is not valid YAML');
    expect(err.issues[0]!.path).toBe('line 2');
    expect(() => loadConfig({ file: '/no/such/orrery.yaml' })).toThrow(/cannot read/);
  });

  it('applies environment overrides for secrets and endpoints through core, never echoing a key', () => {
    const { file } = yamlFile('gateway: {}\n');
    const env = {
      OPENAI_API_KEY: 'sk-test-secret',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      ANTHROPIC_API_KEY: 'ak-secret',
      OLLAMA_BASE_URL: 'http://127.0.0.1:11500',
    };
    const { gateway } = loadConfig({ file, env });
    expect(gateway.providers.openai).toMatchObject({
      apiKey: 'sk-test-secret',
      baseUrl: 'http://127.0.0.1:9/v1',
    });
    expect(gateway.providers.anthropic?.apiKey).toBe('ak-secret');
    expect(gateway.routing.localBaseUrl).toBe('http://127.0.0.1:11500/v1');

    const res = spawnSync(process.execPath, orreryArgv(['config', 'check', '--config', file]), {
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    expect(res.status).toBe(0);
    expect(res.stdout).toContain('openai (key set)');
    expect(res.stdout + res.stderr).not.toContain('sk-test-secret');

    const bad = spawnSync(process.execPath, orreryArgv(['config', 'check', '--config', file]), {
      encoding: 'utf8',
      env: { ...process.env, OPENAI_BASE_URL: 'not a url' },
    });
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/gateway\.providers\.openai\.baseUrl: .*after environment overrides/);
  });

  it('resolves relative paths against the config file', () => {
    const { dir, file } = yamlFile(
      'run: { ledgerPath: db/l.db, data: [{ source: prices.csv }, { source: btc }] }\n',
    );
    const { config } = loadConfig({ file });
    expect(config.run.ledgerPath).toBe(join(dir, 'db/l.db'));
    expect(config.run.data.map((d) => d.source)).toEqual([join(dir, 'prices.csv'), 'btc']);
  });

  it('prints a JSON Schema covering every section', () => {
    const schema = orreryJsonSchema() as {
      properties: Record<string, { properties?: Record<string, unknown> }>;
    };
    expect(Object.keys(schema.properties)).toEqual([
      'gateway',
      'agents',
      'memory',
      'broker',
      'run',
      'learning',
      'delegation',
    ]);
    expect(Object.keys(schema.properties.broker!.properties!)).toContain('feeBps');
    expect(Object.keys(schema.properties.gateway!.properties!)).toContain('budget');
    const res = spawnSync(process.execPath, orreryArgv(['config', 'schema']), { encoding: 'utf8' });
    expect(res.status).toBe(0);
    expect(JSON.parse(res.stdout)).toEqual(JSON.parse(JSON.stringify(orreryJsonSchema())));
  });
});

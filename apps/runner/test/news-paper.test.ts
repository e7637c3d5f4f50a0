import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseSolarSystemConfig } from '@orrery/agents';
import { Ledger, PaperBroker } from '@orrery/broker';
import { type Bar, NewsWindow, parseNews } from '@orrery/feeds';
import { freePort, tempDir } from '@orrery/testkit';
import { afterAll, describe, expect, it } from 'vitest';
import { noLlmStrategy } from '../src/accountability/no-llm-strategy.ts';
import type { CliIO } from '../src/commands/io.ts';
import { loadConfig, parseConfig } from '../src/config/load.ts';
import { brokerConfigSchema } from '../src/config/schema.ts';
import type { Step } from '../src/loop/steps.ts';
import type { CycleInput, CycleLike, Strategy } from '../src/loop/strategy.ts';
import { runTradingLoop } from '../src/loop/trading-loop.ts';
import { runPaper } from '../src/session/paper-run.ts';
import { orrery, writeTestConfig } from './support/paper-cli.ts';

const dir = tempDir('orrery-news-');
afterAll(() => dir.remove());

const DAY = 86_400_000;
const T0 = Date.UTC(2020, 2, 9);

describe('news in the trading loop', () => {
  const bar = (time: number): Bar => ({ time, open: 100, high: 101, low: 99, close: 100, volume: 1 });
  const steps: Step[] = [0, 1, 2, 3].map((d) => ({
    time: T0 + d * DAY,
    bars: ['SPY', 'BTC'].map((symbol) => ({ symbol, bar: bar(T0 + d * DAY) })),
  }));
  const window = new NewsWindow(
    parseNews(
      [
        `{"time": ${T0 + DAY}, "symbol": "SPY", "text": "spy at bar 1"}`,
        `{"time": ${T0 + DAY + 1}, "text": "everyone, 1 ms after bar 1"}`,
        `{"time": ${T0 + 3 * DAY - 1}, "symbol": "BTC", "text": "btc before bar 3"}`,
      ].join('\n'),
      'n.jsonl',
    ).items,
  );
  const news = (symbol: string, time: number) => window.select(symbol, time);

  function recorder() {
    const seen: { how: 'cycle' | 'warm'; input: CycleInput }[] = [];
    const record = (input: CycleInput): CycleLike => ({
      symbol: input.symbol,
      time: input.bar.time,
      mode: 'MONITOR_ONLY',
      decision: {
        symbol: input.symbol,
        action: 'hold',
        targetFraction: 0,
        confidence: 0,
        rationale: '',
        source: 'test',
      },
      calls: 0,
      tokensIn: 0,
      tokensOut: 0,
      costUsd: 0,
    });
    const strategy: Strategy = {
      cycle: async (input) => {
        seen.push({ how: 'cycle', input });
        return record(input);
      },
      cycleMany: async (inputs) => {
        for (const input of inputs) seen.push({ how: 'cycle', input });
        return inputs.map(record);
      },
      warm: async (input) => {
        seen.push({ how: 'warm', input });
      },
      stop: () => undefined,
    };
    const summary = () => seen.map(({ how, input }) => [how, input.symbol, input.bar.time - T0, input.news]);
    return { strategy, summary, seen };
  }

  async function trade(runId: string, strategy: Strategy, upTo: number, withNews: boolean) {
    const settings = brokerConfigSchema.parse({});
    const ledger = Ledger.open(join(dir.path, 'loop.db'));
    try {
      const last = ledger.getRun(runId)?.lastTime;
      if (!ledger.getRun(runId)) ledger.createRun(runId, settings, {}, 1);
      await runTradingLoop({
        runId,
        ledger,
        broker: new PaperBroker(settings, last === undefined ? undefined : ledger.loadState(runId)),
        strategy,
        steps: steps.slice(0, upTo),
        resumeAfter: last,
        minTradeFraction: 0.01,
        ...(withNews ? { news } : {}),
      });
    } finally {
      ledger.close();
    }
  }

  it('gives each cycle only news stamped at or before its bar, of its symbol; warm-up replays the same', async () => {
    const first = recorder();
    await trade('news', first.strategy, 4, true);
    expect(first.summary()).toEqual([
      ['cycle', 'SPY', 0, undefined],
      ['cycle', 'BTC', 0, undefined],
      ['cycle', 'SPY', DAY, ['spy at bar 1']],
      ['cycle', 'BTC', DAY, undefined],
      ['cycle', 'SPY', 2 * DAY, ['everyone, 1 ms after bar 1']],
      ['cycle', 'BTC', 2 * DAY, ['everyone, 1 ms after bar 1']],
      ['cycle', 'SPY', 3 * DAY, undefined],
      ['cycle', 'BTC', 3 * DAY, ['btc before bar 3']],
    ]);
    // Bars without news get exactly the input they got before news existed: no `news` key at all.
    expect(Object.keys(first.seen[0]!.input).sort()).toEqual(['bar', 'portfolio', 'symbol']);

    const partial = recorder();
    await trade('resumed', partial.strategy, 2, true);
    const resumed = recorder();
    await trade('resumed', resumed.strategy, 4, true);
    expect(resumed.summary().slice(0, 4)).toEqual(
      first
        .summary()
        .slice(0, 4)
        .map(([, ...rest]) => ['warm', ...rest]),
    );
    expect(resumed.summary().slice(4)).toEqual(first.summary().slice(4));
  });

  it('without a news source passes no news at all', async () => {
    const plain = recorder();
    await trade('plain', plain.strategy, 4, false);
    expect(plain.seen).toHaveLength(8);
    for (const { input } of plain.seen) expect('news' in input).toBe(false);
  });
});

describe('news config', () => {
  it('the commented run.news example in orrery.example.yaml is valid once uncommented', () => {
    const example = readFileSync(new URL('../../../orrery.example.yaml', import.meta.url), 'utf8');
    const block = /^ {2}# news:.*\n(?: {2}# {3}.*\n)+/m.exec(example)?.[0];
    expect(block).toBeDefined();
    const file = join(dir.path, 'example.yaml');
    writeFileSync(file, example.replace(block!, block!.replace(/^ {2}# ?/gm, '  ')));
    const news = loadConfig({ file, env: {}, cwd: dir.path }).config.run.news;
    expect(news).toEqual({ file: join(dir.path, 'data', 'news.jsonl'), lookbackMs: DAY, maxItems: 10 });
  });

  it('refuses a bad run.news, naming the key', () => {
    const bad = { run: { news: { file: 'n.jsonl', maxItems: 0 } } };
    expect(() => parseConfig(bad, { source: 't', baseDir: dir.path, env: {} })).toThrow(
      /run\.news\.maxItems/,
    );
  });
});

describe('news in the no-LLM counterfactual', () => {
  it("reaches its sentiment planet too, so news is never booked as the LLM's P&L", async () => {
    const strategy = noLlmStrategy(parseSolarSystemConfig({}), false);
    const portfolio = { equity: 100_000, cash: 100_000, positions: {} };
    let last: CycleLike | undefined;
    try {
      for (let i = 0; i < 60; i += 1) {
        const close = 100 + 5 * Math.sin(i / 5);
        const bar = {
          time: T0 + i * DAY,
          open: close,
          high: close + 1,
          low: close - 1,
          close,
          volume: 1_000,
        };
        const news = i === 59 ? ['Stocks plunge as oil prices crash and fear spreads'] : undefined;
        last = await strategy.cycle({ symbol: 'SPY', bar, portfolio, ...(news ? { news } : {}) });
      }
    } finally {
      await strategy.stop();
    }
    const sentiment = (
      last as unknown as { planets: { planet: string; confidence: number; signal: number }[] }
    ).planets.find((p) => p.planet === 'sentiment')!;
    expect(sentiment.confidence).toBeGreaterThan(0);
    expect(sentiment.signal).toBeLessThan(0);
  });
});

describe('news in a paper run', () => {
  const NEWS = [
    // Published during the 2020-03-09 session: the bar stamped 2020-03-09 must not see it.
    '{"time": "2020-03-09T13:00:00Z", "symbol": "SPY", "text": "Stocks plunge as oil prices crash and fear spreads"}',
    '{"time": "2020-03-24T20:00:00Z", "text": "Stocks surge in a record rally"}',
    '{"time": "2020-04-06T12:00:00Z", "symbol": "BTC/USDT", "text": "Bitcoin rally boosts miners"}',
    '{"time": "2020-04-16T12:00:00Z", "symbol": "SPY", "text": "Banks beat estimates"}',
    'oops',
  ]
    .concat(
      Array.from(
        { length: 5 },
        (_, i) => `{"time": "2020-02-0${i + 3}T21:00:00Z", "text": "Markets wait ${i}"}`,
      ),
    )
    .join('\n');

  type Report = { planet: string; confidence: number; signal: number };
  // A reasoning cycle without news does not consult the sentiment planet (the default routing tree sends
  // the query to it only with news): it is absent from the record, i.e. it had nothing to say.
  const sentimentOf = (record: unknown): Pick<Report, 'signal' | 'confidence'> =>
    (record as { planets: Report[] }).planets.find((p) => p.planet === 'sentiment') ?? {
      signal: 0,
      confidence: 0,
    };

  it('run.news (relative to the config file) reaches the sentiment planet, look-ahead free', async () => {
    writeFileSync(join(dir.path, 'news.jsonl'), NEWS);
    const loaded = parseConfig(
      {
        memory: false,
        learning: false,
        gateway: { routing: { localBaseUrl: `http://127.0.0.1:${await freePort()}/v1` } },
        run: {
          data: 'spy',
          from: '2020-02-01',
          to: '2020-04-30',
          ledgerPath: join(dir.path, 'paper.db'),
          reportPath: join(dir.path, 'paper.html'),
          news: { file: 'news.jsonl', lookbackMs: DAY },
        },
      },
      { source: 'test', baseDir: dir.path, env: {} },
    );
    expect(loaded.config.run.news).toEqual({
      file: join(dir.path, 'news.jsonl'),
      lookbackMs: DAY,
      maxItems: 10,
    });
    const err: string[] = [];
    const io: CliIO = {
      out: () => undefined,
      err: (line) => err.push(line),
      env: {},
      cwd: dir.path,
      isTTY: false,
      signal: new AbortController().signal,
    };
    const res = await runPaper({ loaded, runId: 'news', progress: false }, io);
    expect(err.join('\n')).toContain('news.jsonl: kept 9 of 10 news items');
    expect(err.join('\n')).toContain('dropped 1 bad-json — e.g. line 5');

    const ledger = Ledger.open(join(dir.path, 'paper.db'));
    const cycles = ledger.cycles('news');
    // Regression: the no-LLM counterfactual read no news, so news effects were booked as the LLM's P&L.
    const curve = ledger.equityCurve('news').map(({ time, equity }) => ({ time, equity }));
    ledger.close();
    expect(res.roi?.counterfactual).toEqual(curve);
    expect(res.roi?.roi).toMatchObject({ llmPnl: 0, diverged: 0 });
    const at = (date: string) => sentimentOf(cycles.find((c) => c.time === Date.parse(date))!.record);
    expect(at('2020-03-09').confidence).toBe(0);
    expect(at('2020-03-10').confidence).toBeGreaterThan(0);
    expect(at('2020-03-10').signal).toBeLessThan(0);
    expect(at('2020-03-25').signal).toBeGreaterThan(0);
    expect(at('2020-04-07').confidence).toBe(0); // BTC news is not SPY's
    // Independent of NewsWindow: a plain filter of the file's items, none stamped after the bar.
    const spy = parseNews(NEWS, 'n.jsonl').items.filter((x) => x.symbol === undefined || x.symbol === 'SPY');
    const withNews = cycles.filter((c) => spy.some((x) => x.time <= c.time && x.time > c.time - DAY));
    expect(withNews.length).toBeGreaterThanOrEqual(4);
    for (const c of cycles)
      expect(sentimentOf(c.record).confidence > 0, new Date(c.time).toISOString()).toBe(withNews.includes(c));
  }, 180_000);

  it('orrery paper --news FILE reads the file named on the command line', async () => {
    const work = tempDir('orrery-news-cli-');
    try {
      const config = await writeTestConfig(work.path, 'learning: false\n');
      writeFileSync(join(work.path, 'cli-news.jsonl'), NEWS);
      const res = orrery(work.path, [
        'paper',
        '--data',
        'spy',
        '--from',
        '2020-03-01',
        '--to',
        '2020-03-31',
        '--config',
        config,
        '--no-memory',
        '--run-id',
        'cli',
        '--news',
        'cli-news.jsonl',
      ]);
      expect(res.stderr).not.toMatch(/^error/m);
      expect(res.status).toBe(0);
      expect(res.stderr).toContain('cli-news.jsonl: kept 9 of 10 news items');
      const ledger = Ledger.open(join(work.path, '.orrery', 'ledger.db'));
      const cycles = ledger.cycles('cli');
      ledger.close();
      const mar10 = cycles.find((c) => c.time === Date.UTC(2020, 2, 10))!;
      expect(sentimentOf(mar10.record).confidence).toBeGreaterThan(0);
    } finally {
      work.remove();
    }
  }, 180_000);
});

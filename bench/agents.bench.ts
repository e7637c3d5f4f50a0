/**
 * @orrery/agents:
 * 1. Moon update cost on 20,000 bars: Orrery's RSI, MACD, Bollinger and ATR moons (reference
 *    conventions) against the raw trading-signals indicators on the same bars (ratio, lower is better),
 *    and the whole moon bank (12 moons, features, material change) for scale.
 * 2. A MONITOR_ONLY cycle through the full runtime (the orchestrator, an XState sun per symbol whose
 *    one CYCLE transition feeds its moons, runs the deterministic planets, consensus, mode selection and
 *    risk clamp, publishes on the bus and records) for 1, 50 and 500 symbols: p50/p95 cost per
 *    symbol-cycle, against two baselines timed in the same rounds on the same bars (the bare moon bank
 *    and the raw trading-signals indicators; ratios p50/p50 and p95/p95), the GC share and the bus's
 *    share. On a busy machine p95 is mostly GC and scheduling: read the ratios.
 */
import { PerformanceObserver, performance } from 'node:perf_hooks';
import v8 from 'node:v8';
import {
  atrMoon,
  type Bar,
  bollingerMoon,
  createMoonBank,
  createSolarSystem,
  macdMoon,
  rsiMoon,
} from '@orrery/agents';
import { createMoonReading, LocalBus } from '@orrery/bus';
import { Bench } from 'tinybench';
import { ATR, BollingerBands, EMA, MACD, RSI } from 'trading-signals';

/** A deterministic random walk of daily bars (mulberry32 PRNG). */
function syntheticBars(n: number, seed: number): Bar[] {
  let s = seed >>> 0;
  const rnd = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const out: Bar[] = [];
  let close = 100 + 50 * rnd();
  for (let i = 0; i < n; i++) {
    const open = close;
    close = open * Math.exp((rnd() - 0.5) * 0.03);
    const high = Math.max(open, close) * (1 + 0.01 * rnd());
    const low = Math.min(open, close) * (1 - 0.01 * rnd());
    out.push({
      time: Date.UTC(2000, 0, 1) + i * 86_400_000,
      open,
      high,
      low,
      close,
      volume: 1e6 * (0.5 + rnd()),
    });
  }
  return out;
}

const median = (xs: number[]): number =>
  [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? Number.NaN;
};

async function moonCost(): Promise<void> {
  const bars = syntheticBars(20_000, 7);
  let sink = 0;
  const rawRun = () => {
    const rsi = new RSI(14);
    const macd = new MACD(new EMA(12), new EMA(26), new EMA(9));
    const bb = new BollingerBands(20, 2);
    const atr = new ATR(14);
    for (const bar of bars) {
      sink += rsi.add(bar.close) ?? 0;
      sink += macd.add(bar.close)?.histogram ?? 0;
      sink += bb.add(bar.close)?.middle ?? 0;
      sink += atr.add(bar) ?? 0;
    }
  };
  const moonsRun = () => {
    const moons = [rsiMoon(14), macdMoon(12, 26, 9), bollingerMoon(20, 2), atrMoon(14)] as const;
    const readings = {};
    for (const bar of bars) {
      const input = { bar, readings, positionQty: 0 };
      sink += moons[0].update(input).rsi ?? 0;
      sink += moons[1].update(input).histogram ?? 0;
      sink += moons[2].update(input).sma ?? 0;
      sink += moons[3].update(input).atr ?? 0;
    }
  };
  const bankRun = () => {
    const bank = createMoonBank({ symbol: 'X' });
    for (const bar of bars) sink += bank.update(bar).barsSeen;
  };
  const raws: number[] = [];
  const ours: number[] = [];
  const banks: number[] = [];
  for (let round = 0; round < 5; round++) {
    const bench = new Bench({ time: 400, warmupTime: 100 });
    bench.add('raw', rawRun).add('moons', moonsRun).add('bank', bankRun);
    await bench.run();
    const period = (name: string) => {
      const r = bench.getTask(name)?.result;
      if (r === undefined || r.state !== 'completed')
        throw new Error(`benchmark task ${name} did not complete`);
      return r.period;
    };
    raws.push(period('raw'));
    ours.push(period('moons'));
    banks.push(period('bank'));
  }
  if (!Number.isFinite(sink)) throw new Error('nonsense results');
  const perBar = (ms: number) => `${((ms * 1000) / bars.length).toFixed(3)} µs/bar`;
  console.log(`moon updates on ${bars.length.toLocaleString('en')} bars (median of 5 rounds):`);
  console.log(
    `  trading-signals RSI+MACD+BB+ATR (baseline) : ${median(raws).toFixed(1)} ms  ${perBar(median(raws))}`,
  );
  console.log(
    `  orrery moons RSI+MACD+BB+ATR               : ${median(ours).toFixed(1)} ms  ${perBar(median(ours))}`,
  );
  console.log(
    `  orrery moon bank (12 moons, change detector): ${median(banks).toFixed(1)} ms  ${perBar(median(banks))}`,
  );
  console.log(
    `  ratio moons / trading-signals = ${median(ours.map((o, i) => o / (raws[i] as number))).toFixed(2)}x`,
  );
}

/** The raw trading-signals indicators a moon bank wraps (RSI, MACD, Bollinger, ATR), one per symbol. */
function rawIndicators() {
  const rsi = new RSI(14);
  const macd = new MACD(new EMA(12), new EMA(26), new EMA(9));
  const bb = new BollingerBands(20, 2);
  const atr = new ATR(14);
  return (bar: Bar): number =>
    (rsi.add(bar.close) ?? 0) +
    (macd.add(bar.close)?.histogram ?? 0) +
    (bb.add(bar.close)?.middle ?? 0) +
    (atr.add(bar) ?? 0);
}

/**
 * MONITOR_ONLY cycles of `symbols` symbols, one bar each per round, through the runtime (the bus on the
 * path: the moon reading is published and the orchestrator's book hears it). Each round also times, on
 * the same bars and right after, the two baselines: the bare moon bank and the raw trading-signals
 * indicators. So a load spike on a busy machine hits a round's cycle and its baselines alike, and the
 * ratios (p50 to p50, p95 to p95) say more than the µs. A sample is one round's time per symbol: one
 * cycle at 1 symbol, the mean of the round's cycles (run concurrently, as a live loop does) above.
 * GC pauses are summed from the `gc` performance entries of the measured rounds. After them, a quarter
 * as many rounds of cycles alone count the bytes allocated per symbol-cycle (see {@link allocatedBy}).
 */
async function monitorCycles(symbols: number, rounds: number): Promise<void> {
  const warm = 60;
  const names = Array.from({ length: symbols }, (_, i) => `S${i}`);
  const extra = Math.ceil(rounds / 4);
  const series = names.map((_, i) => syntheticBars(warm + rounds + extra, 1000 + i));
  const portfolio = { equity: 1e6, cash: 1e6, positions: {} };
  // Nothing ever counts as a material change and no volatility spike fires: every cycle is MONITOR_ONLY.
  const config = { materialChange: { warmupBars: 1_000_000_000 }, moons: { spikeTrMultiple: 1e9 } };
  const sys = createSolarSystem({ gateway: null, config });
  const banks = names.map(() => createMoonBank({ config }));
  const raws = names.map(() => rawIndicators());
  const cyclePer: number[] = [];
  const bankPer: number[] = [];
  const rawPer: number[] = [];
  let messagesPerCycle = 0;
  let lastFeatures: Record<string, number> = {};
  let sink = 0;
  // GC pauses (their entries arrive later, between macrotasks): those that began in a measured round.
  const pauses: { start: number; ms: number }[] = [];
  const windows: [number, number][] = [];
  const gc = new PerformanceObserver((list) => {
    for (const e of list.getEntries()) pauses.push({ start: e.startTime, ms: e.duration });
  });
  gc.observe({ entryTypes: ['gc'] });
  let wall = 0;
  for (let t = 0; t < warm + rounds; t++) {
    const t0 = performance.now();
    const records = await Promise.all(
      names.map((symbol, i) => sys.cycle({ symbol, bar: series[i]![t]!, portfolio })),
    );
    const t1 = performance.now();
    for (let i = 0; i < symbols; i++) sink += banks[i]!.update(series[i]![t]!).barsSeen;
    const t2 = performance.now();
    for (let i = 0; i < symbols; i++) sink += raws[i]!(series[i]![t]!);
    const t3 = performance.now();
    if (records.some((r) => r.mode !== 'MONITOR_ONLY')) throw new Error('a cycle left MONITOR_ONLY');
    messagesPerCycle =
      records.reduce((n, r) => n + (r.messages ?? []).reduce((m, c) => m + c.count, 0), 0) / symbols;
    lastFeatures = records[0]!.inputs?.readings.change.features ?? {};
    if (t >= warm) {
      cyclePer.push(((t1 - t0) * 1000) / symbols);
      bankPer.push(((t2 - t1) * 1000) / symbols);
      rawPer.push(((t3 - t2) * 1000) / symbols);
      wall += t3 - t0;
      windows.push([t0, t3]);
    }
  }
  await new Promise((r) => setTimeout(r, 100)); // the last gc entries are delivered asynchronously
  gc.disconnect();
  const bytes = await allocatedBy(async () => {
    for (let t = warm + rounds; t < warm + rounds + extra; t++) {
      await Promise.all(names.map((symbol, i) => sys.cycle({ symbol, bar: series[i]![t]!, portfolio })));
    }
  });
  const kbPerCycle = bytes / (extra * symbols) / 1024;
  const inRound = (t: number) => windows.some(([a, b]) => t >= a && t <= b);
  const gcMs = pauses.filter((p) => inRound(p.start)).reduce((a, p) => a + p.ms, 0);
  await sys.stop();
  if (!Number.isFinite(sink)) throw new Error('nonsense results');
  const p50 = median(cyclePer);
  const p95 = pct(cyclePer, 95);
  const busUs = busMessageCost(lastFeatures);
  const busShare = (messagesPerCycle * busUs) / p50;
  const f = (x: number) => x.toFixed(1);
  console.log(
    `  ${String(symbols).padStart(3)} symbols × ${rounds} rounds: MONITOR_ONLY cycle p50 ${f(p50)} µs, p95 ${f(p95)} µs per symbol ` +
      `(target p95 ≤ 50 µs); ${((p50 * symbols) / 1000).toFixed(2)} ms per bar for all (p50)`,
  );
  console.log(
    `      baselines, same bars, same rounds: moon bank p50 ${f(median(bankPer))} / p95 ${f(pct(bankPer, 95))} µs, ` +
      `trading-signals RSI+MACD+BB+ATR p50 ${f(median(rawPer))} / p95 ${f(pct(rawPer, 95))} µs`,
  );
  console.log(
    `      ratio cycle / moon bank: p50 ${(p50 / median(bankPer)).toFixed(1)}x, p95 ${(p95 / pct(bankPer, 95)).toFixed(1)}x; ` +
      `cycle / trading-signals: p50 ${(p50 / median(rawPer)).toFixed(1)}x, p95 ${(p95 / pct(rawPer, 95)).toFixed(1)}x; ` +
      `GC pauses ${((100 * gcMs) / wall).toFixed(1)} % of the measured wall time; ${kbPerCycle.toFixed(1)} KB allocated per symbol-cycle`,
  );
  console.log(
    `      bus ${messagesPerCycle.toFixed(2)} msg/cycle × ${f(busUs)} µs = ${(busShare * 100).toFixed(1)} % of p50`,
  );
}

/**
 * Bytes allocated on the V8 heap while `run` runs: what the heap grew by between collections (each
 * collection's heap before it less the heap after the previous one, from `v8.GCProfiler`), plus the
 * growth since the last. Counts what was collected as well as what survived.
 */
async function allocatedBy(run: () => Promise<void>): Promise<number> {
  const profiler = new v8.GCProfiler();
  profiler.start();
  let last = v8.getHeapStatistics().used_heap_size;
  await run();
  const end = v8.getHeapStatistics().used_heap_size;
  let bytes = 0;
  for (const s of profiler.stop()?.statistics ?? []) {
    bytes += s.beforeGC.heapStatistics.usedHeapSize - last;
    last = s.afterGC.heapStatistics.usedHeapSize;
  }
  return bytes + end - last;
}

/**
 * µs to build, check and deliver one moon reading like the cycle's to a subscribed sun, as sensing does
 * (a copy of the feature vector, `createMoonReading`, `publish`; median of 5).
 */
function busMessageCost(features: Record<string, number>): number {
  const bus = new LocalBus();
  bus.subscribe('sun', () => undefined, { broadcasts: false });
  const n = 5000;
  const runs: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t0 = performance.now();
    for (let i = 0; i < n; i++) {
      bus.publish(
        createMoonReading({
          sender: 'moon.change',
          recipient: 'sun',
          payload: {
            symbol: 'S0',
            metric: 'material-change',
            value: 0,
            barTime: i,
            features: { ...features },
          },
        }),
      );
    }
    runs.push(((performance.now() - t0) * 1000) / n);
  }
  void bus.close();
  return median(runs);
}

export default async function run(): Promise<void> {
  await moonCost();
  console.log('MONITOR_ONLY cycles through the runtime (per symbol-cycle, over the measured rounds):');
  await monitorCycles(1, 3000);
  await monitorCycles(50, 400);
  await monitorCycles(500, 100);
}

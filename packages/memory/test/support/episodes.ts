import type { EpisodeInput, MemoryLogger } from '../../src/index.ts';

/** A valid episode at `time` with `vector`; override anything. */
export function episode(vector: number[], overrides: Partial<EpisodeInput> = {}): EpisodeInput {
  return {
    time: Date.UTC(2026, 0, 1),
    symbol: 'BTC-USD',
    situation: { vector, fields: { rsi: 55, trend: 'up' } },
    regime: 'trend_up',
    mode: 'FULL_AGENT',
    decision: 'buy',
    confidence: 0.7,
    rationale: 'momentum and volume agree',
    horizonMs: 3_600_000,
    ...overrides,
  };
}

/** A logger that keeps what it is told. */
export function recordingLogger(): MemoryLogger & { warnings: string[]; infos: string[] } {
  const warnings: string[] = [];
  const infos: string[] = [];
  return {
    warnings,
    infos,
    warn: (m) => {
      warnings.push(m);
    },
    info: (m) => {
      infos.push(m);
    },
  };
}

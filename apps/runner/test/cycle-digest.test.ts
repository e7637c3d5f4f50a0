import type { StoredCycle } from '@orrery/broker';
import { describe, expect, it } from 'vitest';
import { digestCycle, digestCycles } from '../src/session/cycle-digest.ts';

const stored = (i: number): StoredCycle => ({
  symbol: 'SPY',
  time: i,
  mode: i % 3 === 0 ? 'LIGHT_REASONING' : 'MONITOR_ONLY',
  portfolio: { equity: 1, cash: 1, positions: {} },
  record: {
    decision: { action: 'buy', targetFraction: i / 10, source: 'consensus', confidence: 1 },
    planets: [
      { planet: 'technical', status: 'ok', source: 'deterministic', signal: i },
      { planet: 'risk', status: i % 5 === 0 ? 'failed' : 'ok', llm: { outcome: 'timeout', detail: 'slow' } },
    ],
    messages: [{ type: 'moon.reading', sender: 'moon.change', count: 1 + (i % 2) }],
    route: { leaves: ['trend'], planets: ['technical'], extra: i },
    clamps: i % 4 === 0 ? ['max position'] : [],
  },
});

describe('cycle digests of a run', () => {
  it('are each what digestCycle makes of the record, equal parts shared rather than copied', () => {
    const cycles = Array.from({ length: 60 }, (_, i) => stored(i));
    const digests = digestCycles(cycles);
    expect(digests).toEqual(cycles.map((c) => digestCycle(c)));
    // two planet lists (risk ok or failed), two message counts, one route, one clamp list: shared
    expect(new Set(digests.map((d) => d.planets)).size).toBe(2);
    expect(new Set(digests.map((d) => d.messages)).size).toBe(2);
    expect(new Set(digests.map((d) => d.route)).size).toBe(1);
    expect(new Set(digests.flatMap((d) => (d.clamps === undefined ? [] : [d.clamps]))).size).toBe(1);
    // the decisions differ bar by bar and stay their own
    expect(new Set(digests.map((d) => d.decision)).size).toBe(60);
  });
});

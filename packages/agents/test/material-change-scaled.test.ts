import { describe, expect, it } from 'vitest';
import { MaterialChangeDetector, parseSolarSystemConfig } from '../src/index.ts';

describe('volatility-scaled material-change thresholds', () => {
  const detector = () =>
    new MaterialChangeDetector({ price: 3, atrPct: 0.5 }, { price: { feature: 'atrPct', factor: 1.5 } });

  it('needs a larger price move on a volatile asset (1.5 ATR when that exceeds the absolute 3 %)', () => {
    const d = detector();
    d.anchor({ price: 100, atrPct: 4 });
    expect(d.changed({ price: 105, atrPct: 4 })).toEqual([]);
    expect(d.changed({ price: 106, atrPct: 4 })).toEqual(['price']);
  });

  it('keeps the absolute threshold on a calm asset', () => {
    const d = detector();
    d.anchor({ price: 100, atrPct: 1 });
    expect(d.changed({ price: 102.9, atrPct: 1 })).toEqual([]);
    expect(d.changed({ price: 103, atrPct: 1 })).toEqual(['price']);
  });

  it('falls back to the absolute threshold when the scale feature was absent at the anchor', () => {
    const d = detector();
    d.anchor({ price: 100 });
    expect(d.changed({ price: 103 })).toEqual(['price']);
  });

  it('is configurable, and a bad scale is a config error', () => {
    const c = parseSolarSystemConfig({
      materialChange: { scaled: { rsi: { feature: 'atrPct', factor: 2 } } },
    });
    expect(c.materialChange.scaled).toEqual({ rsi: { feature: 'atrPct', factor: 2 } });
    expect(parseSolarSystemConfig({}).materialChange.scaled.price).toEqual({
      feature: 'atrPct',
      factor: 1.5,
    });
    expect(() =>
      parseSolarSystemConfig({ materialChange: { scaled: { rsi: { feature: 'atrPct', factor: -1 } } } }),
    ).toThrow(/materialChange\.scaled\.rsi\.factor/);
  });
});

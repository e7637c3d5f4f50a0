/**
 * The few statistical functions the learning loop needs: the normal and Student-t distributions, the
 * two-proportion z-test and Welch's t-test, and their sequential (always-valid) versions. Accurate to about 1e-7, which is plenty for p-values
 * compared with an alpha.
 */

/** ln Γ(x) for x > 0 (Lanczos, g = 7, n = 9). */
export function logGamma(x: number): number {
  const c = [
    0.999_999_999_999_809_9, 676.520_368_121_885_1, -1259.139_216_722_402_8, 771.323_428_777_653_1,
    -176.615_029_162_140_6, 12.507_343_278_686_905, -0.138_571_095_265_720_12, 9.984_369_578_019_572e-6,
    1.505_632_735_149_311_6e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.abs(Math.sin(Math.PI * x))) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0] as number;
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += (c[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < 1e-14) break;
  }
  return h;
}

/** The regularised incomplete beta function I_x(a, b), for a, b > 0 and x in [0, 1]. */
export function incompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2)
    ? (front * betaContinuedFraction(a, b, x)) / a
    : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** The complementary error function (Numerical Recipes' Chebyshev fit; relative error < 1.2e-7). */
export function erfc(x: number): number {
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.265_512_23 +
        t *
          (1.000_023_68 +
            t *
              (0.374_091_96 +
                t *
                  (0.096_784_18 +
                    t *
                      (-0.186_288_06 +
                        t *
                          (0.278_868_07 +
                            t *
                              (-1.135_203_98 +
                                t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** P(Z ≤ z) for a standard normal Z. */
export function normalCdf(z: number): number {
  return 0.5 * erfc(-z / Math.SQRT2);
}

/** Two-sided p-value of a Student-t statistic `t` with `df` degrees of freedom (df > 0, may be fractional). */
export function studentTTwoSided(t: number, df: number): number {
  if (!Number.isFinite(t)) return 0;
  return incompleteBeta(df / (df + t * t), df / 2, 0.5);
}

/** The outcome of a two-sample test. `p` is two-sided; `diff` is the first sample's statistic minus the second's. */
export interface TestResult {
  test: 'two-proportion-z' | 'welch-t' | 'msprt-two-proportion' | 'msprt-welch';
  statistic: number;
  p: number;
  diff: number;
  /** Degrees of freedom (Welch only). */
  df?: number;
}

/**
 * Two-proportion z-test of `s1` successes in `n1` trials against `s2` in `n2` (pooled standard error).
 * When both samples are all successes or all failures the difference is 0 and `p` is 1.
 * @throws RangeError for counts that are not integers with 0 ≤ s ≤ n and n ≥ 1.
 */
export function twoProportionZTest(s1: number, n1: number, s2: number, n2: number): TestResult {
  for (const [s, n] of [
    [s1, n1],
    [s2, n2],
  ] as const) {
    if (!Number.isInteger(s) || !Number.isInteger(n) || n < 1 || s < 0 || s > n) {
      throw new RangeError(
        `two-proportion test needs integer counts 0 <= successes <= trials, trials >= 1 (got ${s}/${n})`,
      );
    }
  }
  const p1 = s1 / n1;
  const p2 = s2 / n2;
  const pooled = (s1 + s2) / (n1 + n2);
  const se = Math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
  if (se === 0) return { test: 'two-proportion-z', statistic: 0, p: 1, diff: p1 - p2 };
  const z = (p1 - p2) / se;
  return {
    test: 'two-proportion-z',
    statistic: z,
    p: Math.min(1, 2 * normalCdf(-Math.abs(z))),
    diff: p1 - p2,
  };
}

/** Mean and unbiased variance of a sample. */
export function meanVariance(xs: readonly number[]): { n: number; mean: number; variance: number } {
  const n = xs.length;
  if (n === 0) return { n, mean: Number.NaN, variance: Number.NaN };
  let mean = 0;
  for (const x of xs) mean += x;
  mean /= n;
  let ss = 0;
  for (const x of xs) ss += (x - mean) ** 2;
  return { n, mean, variance: n > 1 ? ss / (n - 1) : Number.NaN };
}

/**
 * Welch's t-test of the means of two samples with unequal variances.
 * Two samples without any variance give `p` 1 when their means are equal and 0 otherwise.
 * @throws RangeError when a sample has fewer than 2 values or a non-finite value.
 */
export function welchTTest(a: readonly number[], b: readonly number[]): TestResult {
  for (const xs of [a, b]) {
    if (xs.length < 2)
      throw new RangeError(`Welch's t-test needs at least 2 values per sample (got ${xs.length})`);
    if (!xs.every(Number.isFinite)) throw new RangeError(`Welch's t-test needs finite values`);
  }
  const x = meanVariance(a);
  const y = meanVariance(b);
  const vx = x.variance / x.n;
  const vy = y.variance / y.n;
  const diff = x.mean - y.mean;
  const se = Math.sqrt(vx + vy);
  if (se === 0) return { test: 'welch-t', statistic: 0, p: diff === 0 ? 1 : 0, diff, df: x.n + y.n - 2 };
  const t = diff / se;
  const df = (vx + vy) ** 2 / (vx ** 2 / (x.n - 1) + vy ** 2 / (y.n - 1));
  return { test: 'welch-t', statistic: t, p: studentTTwoSided(t, df), diff, df };
}

/**
 * The mixture sequential probability ratio test (mSPRT) of Johari, Pekelis and Walsh ("Always valid
 * inference", 2017) for a difference of means, on the normal approximation: with the estimate's
 * z-statistic `z` and r = τ²/Var(estimate) (the mixing prior's variance over the estimate's), the
 * likelihood ratio of "a difference drawn from N(0, τ²)" against "no difference" is
 *   Λ = (1 + r)^(−1/2) · exp(z² · r / (2(1 + r))).
 * Under no difference Λ is a martingale, so by Ville's inequality P(Λ ever ≥ 1/α) ≤ α: the test may be
 * looked at after every outcome and stays valid. `p` = min(1, 1/Λ) is the always-valid p-value of this
 * look (reject at the first look where p ≤ α).
 */
export function msprt(z: number, r: number): { lambda: number; p: number } {
  if (!(r > 0) || !Number.isFinite(z)) return { lambda: 1, p: 1 };
  const logLambda = -0.5 * Math.log1p(r) + (z * z * r) / (2 * (1 + r));
  const lambda = Math.exp(logLambda);
  return { lambda, p: Math.min(1, Math.exp(-logLambda)) };
}

/**
 * Sequential two-proportion test (mSPRT on the pooled normal approximation): `effect` is the prior's
 * standard deviation in standard deviations of one outcome (τ = effect · σ̂), e.g. 0.25.
 */
export function sequentialProportionTest(
  s1: number,
  n1: number,
  s2: number,
  n2: number,
  effect: number,
): TestResult {
  const fixed = twoProportionZTest(s1, n1, s2, n2);
  const c = 1 / n1 + 1 / n2;
  const { p } = msprt(fixed.statistic, (effect * effect) / c);
  return { test: 'msprt-two-proportion', statistic: fixed.statistic, p, diff: fixed.diff };
}

/** Sequential test of two means (mSPRT on Welch's statistic), `effect` as in {@link sequentialProportionTest}. */
export function sequentialMeanTest(a: readonly number[], b: readonly number[], effect: number): TestResult {
  const fixed = welchTTest(a, b);
  const x = meanVariance(a);
  const y = meanVariance(b);
  const vx = x.variance / x.n;
  const vy = y.variance / y.n;
  const se2 = vx + vy;
  if (se2 === 0) return { ...fixed, test: 'msprt-welch' };
  // τ in units of the pooled standard deviation of one outcome.
  const pooled = ((x.n - 1) * x.variance + (y.n - 1) * y.variance) / (x.n + y.n - 2);
  const { p } = msprt(fixed.statistic, (effect * effect * pooled) / se2);
  return { test: 'msprt-welch', statistic: fixed.statistic, p, diff: fixed.diff };
}

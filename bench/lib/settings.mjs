/**
 * How long to measure. `BENCH_QUICK=1` is a smoke run (~40 s): fewer, shorter rounds, numbers noisier.
 * The full run keeps `pnpm bench` (build included) under three minutes on 2 cores. Many short interleaved
 * rounds rather than a few long ones: on a busy machine a burst of other work then spoils one pair of
 * rounds, not a third of the samples, and the median of the paired ratios stays put.
 */
export function benchSettings(env = process.env) {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  // HTTP scenarios (real processes, autocannon): `httpRounds` rounds of `httpRunMs` per route and side,
  // after one warm-up run of `httpWarmupMs` each; `startupTrials` process starts per start-up variant.
  // `scale`: `scaleUsers` users × 10 connections bulk-loaded, `scaleRounds` rounds of `httpRunMs` per list.
  return quick
    ? {
        quick,
        rounds: 10,
        roundMs: 50,
        warmupMs: 100,
        trials: 8,
        httpRounds: 1,
        httpRunMs: 500,
        httpWarmupMs: 200,
        startupTrials: 1,
        scaleUsers: 10_000,
        scaleRounds: 1,
      }
    : {
        quick,
        rounds: 30,
        roundMs: 130,
        warmupMs: 400,
        trials: 30,
        httpRounds: 2,
        httpRunMs: 1500,
        httpWarmupMs: 500,
        startupTrials: 4,
        scaleUsers: 100_000,
        scaleRounds: 3,
      };
}

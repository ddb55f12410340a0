/**
 * How long to measure. `BENCH_QUICK=1` is a smoke run (~15 s): fewer, shorter rounds, numbers noisier.
 * The full run keeps `pnpm bench` (build included) under two minutes on 2 cores. Many short interleaved
 * rounds rather than a few long ones: on a busy machine a burst of other work then spoils one pair of
 * rounds, not a third of the samples, and the median of the paired ratios stays put.
 */
export function benchSettings(env = process.env) {
  const quick = env.BENCH_QUICK === '1' || env.BENCH_QUICK === 'true';
  return quick
    ? { quick, rounds: 10, roundMs: 50, warmupMs: 100, trials: 8 }
    : { quick, rounds: 30, roundMs: 130, warmupMs: 400, trials: 30 };
}

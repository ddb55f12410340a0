import { performance } from 'node:perf_hooks';

/** Calls between two clock reads: enough to make `performance.now()` negligible, few enough to stop on time. */
const BATCH = 8;

function median(values) {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/**
 * median, min, max and the spread: the median absolute deviation relative to the median (robust to the
 * odd round that hit a GC pause, unlike max − min, which is kept as min and max).
 */
export function summarize(values) {
  const middle = median(values);
  const deviation = median(values.map((value) => Math.abs(value - middle)));
  return {
    median: middle,
    min: Math.min(...values),
    max: Math.max(...values),
    spread: middle === 0 ? 0 : deviation / middle,
    samples: values,
  };
}

/** Runs `fn` (sync or async) back to back for at least `durationMs`; returns milliseconds per call. */
async function timeRound(fn, durationMs) {
  let calls = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    for (let index = 0; index < BATCH; index++) {
      const result = fn();
      if (result !== undefined && typeof result.then === 'function') await result;
    }
    calls += BATCH;
    elapsed = performance.now() - start;
  } while (elapsed < durationMs);
  return elapsed / calls;
}

/**
 * Measures our code against its baseline in the same process, interleaved round by round (A B, B A, …)
 * so that drift (CPU frequency, GC, another process) hits both sides alike. The ratio is computed per
 * round pair (ours ms/op ÷ baseline ms/op) and summarised; > 1 means ours is slower than the floor.
 * `extras` (name → function) are measured in the same rounds and reported against the baseline too:
 * intermediate steps that say where the difference goes.
 */
export async function compareThroughput({ ours, baseline, settings, extras = {} }) {
  const sides = { ours, baseline, ...extras };
  for (const fn of Object.values(sides)) await timeRound(fn, settings.warmupMs);
  const msPerCall = Object.fromEntries(Object.keys(sides).map((name) => [name, []]));
  for (let round = 0; round < settings.rounds; round++) {
    const names = Object.keys(sides);
    if (round % 2 === 1) names.reverse();
    for (const name of names) msPerCall[name].push(await timeRound(sides[name], settings.roundMs));
  }
  const opsPerSecond = (name) => summarize(msPerCall[name].map((ms) => 1000 / ms));
  const ratioTo = (name) => summarize(msPerCall[name].map((ms, round) => ms / msPerCall.baseline[round]));
  return {
    unit: 'ops/s',
    ours: opsPerSecond('ours'),
    baseline: opsPerSecond('baseline'),
    ratio: ratioTo('ours'),
    ...(Object.keys(extras).length > 0 && {
      extras: Object.fromEntries(
        Object.keys(extras).map((name) => [name, { ...opsPerSecond(name), ratio: ratioTo(name) }]),
      ),
    }),
  };
}

/**
 * Wall time of single trials (each one `await trial()`), ours and baseline alternating, for work that
 * cannot loop freely. `prepare` runs before every trial, outside the timing (each token refresh trial
 * needs a token that is due again). Returns milliseconds.
 */
export async function compareTrials({ ours, baseline, trials, prepare = async () => {}, warmupTrials = 2 }) {
  for (let trial = 0; trial < warmupTrials; trial++) {
    await prepare();
    await ours();
    await prepare();
    await baseline();
  }
  const oursMs = [];
  const baselineMs = [];
  const ratios = [];
  for (let trial = 0; trial < trials; trial++) {
    // Alternate which side goes first so neither always runs on the warmer (or colder) process.
    const order = trial % 2 === 0 ? [ours, baseline] : [baseline, ours];
    const times = new Map();
    for (const side of order) {
      await prepare();
      times.set(side, await timeTrials(side, 1));
    }
    oursMs.push(times.get(ours));
    baselineMs.push(times.get(baseline));
    ratios.push(times.get(ours) / times.get(baseline));
  }
  return { unit: 'ms', ours: summarize(oursMs), baseline: summarize(baselineMs), ratio: summarize(ratios) };
}

/** Median wall time, in milliseconds, of `count` runs of `trial` (with `prepare` untimed before each). */
export async function timeTrials(trial, count, prepare = async () => {}) {
  const times = [];
  for (let index = 0; index < count; index++) {
    await prepare();
    const start = performance.now();
    await trial();
    times.push(performance.now() - start);
  }
  return median(times);
}

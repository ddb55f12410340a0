import { constants, PerformanceObserver } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

const megabytes = (bytes) => bytes / 2 ** 20;

let gc;

/**
 * A full garbage collection, now (the benchmarks run without `--expose-gc`: the flag is set on first use).
 * Before a measured side, so its heap figures start from the same floor.
 */
export function collectGarbage() {
  if (!gc) {
    setFlagsFromString('--expose-gc');
    gc = runInNewContext('gc');
  }
  gc();
}

/**
 * Peak RSS and heap of this process, sampled every 100 ms until `stop()` (in MB). The peak heap includes
 * garbage not yet collected (V8 lets the heap grow before a major collection, more so the longer a run
 * allocates), so the live heap is also read right after every major GC during the run, and once more after
 * a forced one at the end: a leak shows there, GC slack does not.
 */
export function sampleMemory() {
  const start = process.memoryUsage();
  const peak = { rss: start.rss, heapUsed: start.heapUsed, liveHeap: start.heapUsed };
  let majorCollections = 0;
  const sample = () => {
    const now = process.memoryUsage();
    peak.rss = Math.max(peak.rss, now.rss);
    peak.heapUsed = Math.max(peak.heapUsed, now.heapUsed);
  };
  const timer = setInterval(sample, 100);
  const observer = new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) {
      if (entry.detail?.kind !== constants.NODE_PERFORMANCE_GC_MAJOR) continue;
      majorCollections += 1;
      peak.liveHeap = Math.max(peak.liveHeap, process.memoryUsage().heapUsed);
    }
  });
  observer.observe({ entryTypes: ['gc'] });
  return {
    stop() {
      clearInterval(timer);
      sample();
      observer.disconnect();
      collectGarbage();
      const after = process.memoryUsage();
      return {
        startRssMb: megabytes(start.rss),
        peakRssMb: megabytes(peak.rss),
        startHeapMb: megabytes(start.heapUsed),
        peakHeapMb: megabytes(peak.heapUsed),
        heapGrowthMb: megabytes(peak.heapUsed - start.heapUsed),
        majorCollections,
        liveHeapGrowthMb: megabytes(peak.liveHeap - start.heapUsed),
        retainedHeapMb: megabytes(after.heapUsed - start.heapUsed),
      };
    },
  };
}

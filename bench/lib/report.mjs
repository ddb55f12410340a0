import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { fileURLToPath } from 'node:url';

/** Latencies to 0.1 ms (wrk reports microseconds, and a median of two is a mean). */
const milliseconds = (value) => `${Math.round(value * 10) / 10} ms`;
const number = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
const precise = new Intl.NumberFormat('en-US', { maximumFractionDigits: 2, minimumFractionDigits: 2 });

/** `12,345 ops/s ±3%` or `4.21 ms ±8%`: the median and its median absolute deviation, relative. */
export function formatValue(stats, unit) {
  const spread = `±${(stats.spread * 100).toFixed(stats.spread < 0.1 ? 1 : 0)}%`;
  return unit === 'ops/s' || unit === 'req/s'
    ? `${number.format(stats.median)} ${unit} ${spread}`
    : `${precise.format(stats.median)} ms ${spread}`;
}

export function formatRatio(ratio) {
  return `${precise.format(ratio.median)}x (${precise.format(ratio.min)}-${precise.format(ratio.max)})`;
}

/** One line per measurement while the run goes on. */
export function printResult(result) {
  const lines = [
    `  ${result.benchmark} [${result.variant}]`,
    `    ours      ${result.labels.ours}: ${formatValue(result.ours, result.unit)}`,
    `    baseline  ${result.labels.baseline}: ${formatValue(result.baseline, result.unit)}`,
    `    ratio     ours/baseline (time): ${formatRatio(result.ratio)}`,
    ...(result.notes ?? []).map((note) => `    note      ${note}`),
    ...(result.failures ?? []).map((failure) => `    FAILED    ${failure}`),
  ];
  process.stdout.write(`${lines.join('\n')}\n`);
}

function printGrid(header, rows) {
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  const separator = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  process.stdout.write(`\n${[line(header), separator, ...rows.map(line)].join('\n')}\n`);
}

/**
 * The HTTP tables: throughput over real connections as a share of bare Fastify's (the targets
 * are shares), latency at 50 connections, the server's CPU per request (and bare Fastify's on
 * `/healthz`), the server's memory; the list at scale; start-up times.
 */
export function printHttpTables(results) {
  const http = results.filter((result) => result.http);
  if (http.length > 0) {
    printGrid(
      [
        'route',
        'db',
        'workers',
        'req/s ours',
        'req/s bare',
        'ours/bare',
        'p50',
        'p99',
        'CPU/req ours (bare)',
        'RSS idle',
        'RSS peak',
      ],
      http.map(({ http: row, failures }) => [
        row.route,
        row.dialect,
        String(row.workers),
        number.format(row.oursRps),
        number.format(row.bareRps),
        `${(row.share * 100).toFixed(1)}%${failures?.length ? '  FAILED' : ''}`,
        milliseconds(row.p50Ms),
        milliseconds(row.p99Ms),
        row.cpuUsPerRequest === undefined
          ? 'n/a'
          : `${row.cpuUsPerRequest.toFixed(0)} µs (${row.bareCpuUsPerRequest.toFixed(0)} µs)`,
        `${row.idleRssMb.toFixed(0)} MB`,
        `${row.peakRssMb.toFixed(0)} MB`,
      ]),
    );
  }
  printScaleTable(results);
  const startup = results.filter((result) => result.startup);
  if (startup.length > 0) {
    const range = (stats) =>
      `${number.format(stats.median)} ms (${number.format(stats.min)}-${number.format(stats.max)})`;
    printGrid(
      ['start-up (spawn → /healthz)', 'restart, median (range)', 'first start', 'bare Fastify'],
      startup.map(({ startup: row, failures }) => [
        row.variant,
        `${range(row.restartMs)}${failures?.length ? '  FAILED' : ''}`,
        `${number.format(row.firstMs)} ms`,
        range(row.bareMs),
      ]),
    );
  }
}

/**
 * The `scale` table: one user's list on the large table against the almost empty one (the first row),
 * time per request and latency as ratios of the small table's (the target: ≤ 2x).
 */
function printScaleTable(results) {
  const scale = results.filter((result) => result.scale);
  if (scale.length === 0) return;
  const first = scale[0].scale;
  printGrid(
    [
      'GET /api/connections/ (10)',
      'connections',
      'req/s',
      'p50',
      'p99',
      'time ÷ small',
      'p50 ÷ small',
      'p99 ÷ small',
    ],
    [
      [
        'small table',
        '10',
        number.format(first.smallRps),
        `${first.smallP50Ms} ms`,
        `${first.smallP99Ms} ms`,
        '1',
        '1',
        '1',
      ],
      ...scale.map(({ scale: row, ratio, failures }) => [
        row.list,
        number.format(row.rows),
        number.format(row.rps),
        milliseconds(row.p50Ms),
        milliseconds(row.p99Ms),
        `${formatRatio(ratio)}${failures?.length ? '  FAILED' : ''}`,
        `${precise.format(row.p50Ratio)}x`,
        `${precise.format(row.p99Ratio)}x`,
      ]),
    ],
  );
}

/** The final table: one row per benchmark and variant. */
export function printTable(results) {
  const header = ['benchmark', 'variant', 'ours', 'baseline', 'ratio (time, median and range)'];
  const rows = results.map((result) => [
    result.benchmark,
    result.variant,
    formatValue(result.ours, result.unit),
    formatValue(result.baseline, result.unit),
    `${formatRatio(result.ratio)}${result.failures?.length ? '  FAILED' : ''}`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...rows.map((row) => row[column].length)),
  );
  const line = (cells) => `| ${cells.map((cell, column) => cell.padEnd(widths[column])).join(' | ')} |`;
  const separator = `|${widths.map((width) => '-'.repeat(width + 2)).join('|')}|`;
  process.stdout.write(`\n${[line(header), separator, ...rows.map(line)].join('\n')}\n`);
}

function gitCommit() {
  try {
    return execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8', stdio: 'pipe' }).trim();
  } catch (error) {
    // Outside a checkout (a tarball) there is no commit to record; the result stays useful without it.
    return `unknown (${error instanceof Error ? error.message.split('\n')[0] : String(error)})`;
  }
}

export function environment(settings) {
  const processors = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: processors.length,
    cpuModel: processors[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    // Other work on the machine (a test suite, a build) shows up as noise: record how busy it was.
    loadAverage1m: Number(loadavg()[0].toFixed(2)),
    commit: gitCommit(),
    settings,
  };
}

/** Writes `bench/results/<timestamp>.json` (gitignored) and returns its path. */
export function writeResults(startedAt, payload) {
  const folder = new URL('../results/', import.meta.url);
  mkdirSync(folder, { recursive: true });
  const file = new URL(`${startedAt.toISOString().replaceAll(':', '-')}.json`, folder);
  writeFileSync(file, `${JSON.stringify(payload, null, 2)}\n`);
  return fileURLToPath(file);
}

export type { FakeDatadog, FakeDatadogMonitor, FakeDatadogOptions } from './fake-datadog.js';
export { DATADOG_RATE_LIMIT_HEADERS, datadogRealOrigins, startFakeDatadog } from './fake-datadog.js';
export { fakeMetricValue } from './fake-datadog-routes.js';

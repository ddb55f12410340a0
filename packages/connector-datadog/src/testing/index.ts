export type { FakeDatadog, FakeDatadogMonitor, FakeDatadogOptions } from './fake-datadog.js';
export { datadogRealOrigins, startFakeDatadog } from './fake-datadog.js';
export { fakeMetricValue } from './fake-datadog-routes.js';

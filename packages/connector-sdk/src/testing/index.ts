export { checkPackageManifest } from './check-package-manifest.js';
export type { ConformanceExpectations, ConformanceOptions, ConformanceProvider } from './conformance.js';
export { describeConformance } from './conformance.js';
export * from './fakes.js';

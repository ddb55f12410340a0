export { checkPackageManifest } from './check-package-manifest.js';
export type { ConformanceExpectations, ConformanceOptions, ConformanceProvider } from './conformance.js';
export { describeConformance } from './conformance.js';
export type { ConformanceActionSample, ConformanceApiProbe } from './conformance-actions.js';
export type {
  DescribePackedConnectorOptions,
  PackedConnectorExpectations,
} from './describe-packed-connector.js';
export { describePackedConnector } from './describe-packed-connector.js';
export type {
  ConnectedTokens,
  ConnectThroughFakeOptions,
  ContextForOptions,
  FakeFlow,
  FlowProvider,
  Rewrite,
} from './fake-flow.js';
export { actionContextFor, connectThroughFake, contextFor, fakeFlow, lastRequestTo } from './fake-flow.js';
export * from './fakes.js';
export { jsonSchemaProblems, valueProblems } from './json-schema.js';
export type {
  InstalledConnector,
  PackAndInstallOptions,
  PackedConnectorDefinition,
} from './pack-connector.js';
export { packAndInstallConnector } from './pack-connector.js';
export { connectorErrorOf, rejectionOf } from './rejection-of.js';

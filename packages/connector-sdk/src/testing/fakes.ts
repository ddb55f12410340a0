// The fake providers alone, without the conformance kit: importing this never loads vitest, so a fake can
// run in a plain Node process (a server end-to-end test, a demo, a benchmark).
export { startFakeOAuth2Provider } from './fake-oauth2-provider.js';
export type {
  FakeApproval,
  FakeDenial,
  FakeErrorShape,
  FakeOAuth2Counts,
  FakeOAuth2Paths,
  FakeOAuth2Provider,
  FakeOAuth2ProviderOptions,
  FakeRequestRecord,
  FakeResponse,
  FakeRouteHandler,
  FakeRouteHelpers,
  FakeRouteRequest,
  FakeTokenPair,
  FakeTokenRecord,
  FakeTokenResponseContext,
  FakeTokenState,
  FakeUnauthorizedReason,
} from './fake-oauth2-types.js';

export type { FakeSlack, FakeSlackChannel, FakeSlackOptions } from './fake-slack.js';
export { startFakeSlack } from './fake-slack.js';

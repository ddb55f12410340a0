export type { FakeSlack, FakeSlackChannel, FakeSlackMessage, FakeSlackOptions } from './fake-slack.js';
export { startFakeSlack } from './fake-slack.js';

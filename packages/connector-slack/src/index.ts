import { slackConnector } from './slack-connector.js';

export { SLACK_BOT_SCOPES, SLACK_OPTIONAL_BOT_SCOPES, slackConnector } from './slack-connector.js';
export type { SlackUserTokenExtra } from './slack-token-response.js';
export { slackConnector as connector };
export default slackConnector;

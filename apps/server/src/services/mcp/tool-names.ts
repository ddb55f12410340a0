/** One of a user's connections, as far as naming its tools goes. */
export interface NamedConnection {
  connectionId: string;
  connectorKey: string;
}

/** The shortest connection id prefix used to tell two connections of one connector apart. */
const SUFFIX_LENGTH = 8;

/**
 * The suffix each connection's tools carry: `null` when it is the user's only connection of its connector
 * (tools are `<connector_key>_<action_name>`), else the shortest prefix (at least 8 characters) of its id,
 * without dashes, that no other connection of that connector shares (`slack_list_channels_3f2a9c1b`).
 * Every connection of such a connector gets one, so a model never reaches an arbitrary account by the
 * plain name. Deterministic for a given set of connections: stateless requests agree on the names.
 */
export function connectionSuffixes(connections: readonly NamedConnection[]): Map<string, string | null> {
  const byConnector = new Map<string, string[]>();
  for (const { connectionId, connectorKey } of connections) {
    const ids = byConnector.get(connectorKey) ?? [];
    ids.push(connectionId.replaceAll('-', '').toLowerCase());
    byConnector.set(connectorKey, ids);
  }
  const suffixes = new Map<string, string | null>();
  for (const { connectionId, connectorKey } of connections) {
    const siblings = byConnector.get(connectorKey) ?? [];
    if (siblings.length < 2) {
      suffixes.set(connectionId, null);
      continue;
    }
    const own = connectionId.replaceAll('-', '').toLowerCase();
    let length = Math.min(SUFFIX_LENGTH, own.length);
    while (
      length < own.length &&
      siblings.some((other) => other !== own && other.startsWith(own.slice(0, length)))
    ) {
      length += 1;
    }
    suffixes.set(connectionId, own.slice(0, length));
  }
  return suffixes;
}

/** `slack_list_channels`, or `slack_list_channels_3f2a9c1b` with a connection suffix. */
export function toolName(connectorKey: string, actionName: string, suffix: string | null): string {
  return suffix === null ? `${connectorKey}_${actionName}` : `${connectorKey}_${actionName}_${suffix}`;
}

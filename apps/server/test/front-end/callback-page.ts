/** What the test front end's callback page needs to finish a flow (set by the test, inlined in the page). */
export interface CallbackPageSession {
  apiBaseUrl: string;
  /** The user's API token, as a real front end would hold it after sign-in. */
  token: string;
  connectorKey: string;
}

/** JSON safe to inline in a `<script>`: no `</script>` or `<!--` can close or confuse the element. */
function inlineJson(value: unknown): string {
  return JSON.stringify(value)
    .replaceAll('<', '\\u003c')
    .replaceAll('>', '\\u003e')
    .replaceAll('&', '\\u0026');
}

/**
 * The page a provider sends the browser back to: it posts every callback parameter (code, state, error,
 * extras) to `POST /api/oauth/{connector}/callback` with the Bearer token, then shows the connection's
 * status from `GET /api/connections/{id}` in `#status`, or `error` in `#status` and the error code in
 * `#error`. When the API's GET callback finished the flow (`OAUTH_REDIRECT_URI` at the API) the browser
 * arrives with `status` (and `connection_id` or `code`) instead, and the page only shows the outcome.
 */
export function callbackPage(session: CallbackPageSession | null): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Connecting…</title></head>
<body>
<h1>Connecting your account</h1>
<p>Status: <strong id="status">working</strong></p>
<p>Error: <code id="error"></code></p>
<p>Connection: <code id="connection"></code></p>
<script>
const session = ${inlineJson(session)};
const show = (id, text) => { document.getElementById(id).textContent = text; };
async function finish() {
  if (session === null) throw new Error('no session: the test did not configure the front end');
  const parameters = Object.fromEntries(new URLSearchParams(location.search));
  const headers = { authorization: 'Bearer ' + session.token, 'content-type': 'application/json' };
  let connectionId;
  if (parameters.status !== undefined) {
    if (parameters.status !== 'success') {
      show('error', parameters.code || 'unknown');
      show('status', 'error');
      return;
    }
    connectionId = parameters.connection_id;
  } else {
    const callback = await fetch(session.apiBaseUrl + '/api/oauth/' + session.connectorKey + '/callback', {
      method: 'POST', headers, body: JSON.stringify(parameters),
    });
    const result = await callback.json();
    if (!callback.ok) {
      show('error', callback.status + ' ' + result.code);
      show('status', 'error');
      return;
    }
    connectionId = result.connection_id;
  }
  show('connection', connectionId);
  const connection = await fetch(session.apiBaseUrl + '/api/connections/' + connectionId, { headers });
  const body = await connection.json();
  show('status', connection.ok ? body.status : 'error');
  if (!connection.ok) show('error', connection.status + ' ' + body.code);
}
finish().catch((error) => { show('error', String(error)); show('status', 'error'); });
</script>
</body>
</html>
`;
}

/**
 * The "Connect" page: asks the API for an authorization URL with `credentials: 'include'` (so the API
 * can set the cookie that binds the attempt to this browser), then sends the browser to the provider.
 */
export function connectPage(session: CallbackPageSession | null): string {
  return `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Connect</title></head>
<body>
<h1>Connect your account</h1>
<p>Error: <code id="error"></code></p>
<script>
const session = ${inlineJson(session)};
async function start() {
  if (session === null) throw new Error('no session: the test did not configure the front end');
  const response = await fetch(session.apiBaseUrl + '/api/oauth/' + session.connectorKey + '/authorize', {
    credentials: 'include', headers: { authorization: 'Bearer ' + session.token },
  });
  const body = await response.json();
  if (!response.ok) throw new Error(response.status + ' ' + body.code);
  location.assign(body.authorization_url);
}
start().catch((error) => { document.getElementById('error').textContent = String(error); });
</script>
</body>
</html>
`;
}

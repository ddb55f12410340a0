// The HTTP baseline: a bare Fastify 5 process (the server's own copy, so the same version) answering
// `{"status":"ok"}` on /healthz with a response schema, no logger, no plugins. Started by the HTTP
// benchmarks as a child process: `node bare-fastify.mjs <port>` on 127.0.0.1; stops on SIGTERM.
import { createRequire } from 'node:module';

const require = createRequire(new URL('../../apps/server/package.json', import.meta.url));
const Fastify = require('fastify');

const app = Fastify({ logger: false });
app.get(
  '/healthz',
  {
    schema: {
      response: {
        200: { type: 'object', properties: { status: { type: 'string' } }, required: ['status'] },
      },
    },
  },
  async () => ({ status: 'ok' }),
);
process.on('SIGTERM', () => {
  app.close().then(() => process.exit(0));
});
await app.listen({ host: '127.0.0.1', port: Number(process.argv[2] ?? 0) });

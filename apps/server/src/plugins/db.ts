import { createDatabase, type DatabaseHandle } from '@cfm/db';
import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyInstance {
    /** The database handle: `app.db.db` is the Kysely instance, `app.db.ping()` checks the connection. */
    db: DatabaseHandle;
  }
}

export interface DbPluginOptions {
  /** A handle the caller owns (and closes); otherwise one is opened from `url` and closed with the app. */
  handle?: DatabaseHandle;
  url: string;
  /** PostgreSQL: send `prepareQuery`'s queries as named statements (`DATABASE_NAMED_STATEMENTS`). */
  namedStatements?: boolean;
}

/** Decorates `app.db`. Opening does not connect to PostgreSQL yet: `/readyz` tells whether it answers. */
export const dbPlugin = fp<DbPluginOptions>(
  async (app, options) => {
    const owned = options.handle === undefined;
    const handle =
      options.handle ??
      createDatabase(options.url, {
        namedStatements: options.namedStatements ?? true,
        // A lost connection is replaced on the next query; requests using it answered 503.
        onPoolError: (error) =>
          app.log.warn({ err: error }, 'PostgreSQL connection lost: the pool opens a new one'),
      });
    app.decorate('db', handle);
    if (owned) {
      app.addHook('onClose', async () => {
        await handle.close();
      });
    }
  },
  { name: 'cfm-db', fastify: '5.x' },
);

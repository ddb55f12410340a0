import type { FastifyReply } from 'fastify';

/**
 * Sends a view that is kept and answered again (the same object until what it shows changes) as JSON
 * bytes serialised once by the route's 200 schema, as Fastify would have: serialising and UTF-8 encoding
 * it on every request was a seventh of the connectors list's time. A view seen for the first time (not
 * kept, or kept anew) is serialised once and remembered only as long as the view itself lives.
 * Kept views must never be changed after they are first sent.
 */
export function keptJson(): (reply: FastifyReply, view: object) => FastifyReply {
  const serialised = new WeakMap<object, Buffer>();
  return (reply, view) => {
    let json = serialised.get(view);
    if (json === undefined) {
      json = Buffer.from(reply.serialize(view) as string);
      serialised.set(view, json);
    }
    // Bytes with a content type are sent as they are: no second serialisation.
    return reply.type('application/json; charset=utf-8').send(json);
  };
}

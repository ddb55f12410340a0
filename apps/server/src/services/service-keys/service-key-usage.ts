import type { Database } from '@cfm/db';
import type { Kysely } from 'kysely';

export interface ServiceKeyUsageOptions {
  /** `last_used_at` is written at most this often per key. Default 60 s. */
  intervalMs?: number;
  /** Keys remembered by the in-process throttle; the oldest goes first. Default 10,000. */
  maxEntries?: number;
}

/**
 * Keeps `service_keys.last_used_at` roughly current without a write per request: a key is written at most
 * once per interval, across processes too (the update only matches a row whose `last_used_at` is older
 * than the interval, so of several processes one wins and the others change nothing). The in-process map
 * only spares the database the update a burst would otherwise send; it decides nothing about access.
 */
export class ServiceKeyUsage {
  readonly #db: Kysely<Database>;
  readonly #intervalMs: number;
  readonly #maxEntries: number;
  readonly #attempts = new Map<string, number>();

  constructor(db: Kysely<Database>, options: ServiceKeyUsageOptions = {}) {
    this.#db = db;
    this.#intervalMs = options.intervalMs ?? 60_000;
    this.#maxEntries = Math.max(1, options.maxEntries ?? 10_000);
  }

  /**
   * Records a use of the key at `now` when its last recorded use is older than the interval. Resolves to
   * true when this call wrote it (the caller may then note the use elsewhere, e.g. in the audit trail).
   */
  async touch(key: { id: string; lastUsedAt: Date | null }, now: Date = new Date()): Promise<boolean> {
    const threshold = now.getTime() - this.#intervalMs;
    if (key.lastUsedAt !== null && key.lastUsedAt.getTime() > threshold) return false;
    const attempted = this.#attempts.get(key.id);
    if (attempted !== undefined && attempted > threshold) return false;
    this.#remember(key.id, now.getTime());
    const result = await this.#db
      .updateTable('service_keys')
      .set({ last_used_at: now })
      .where('id', '=', key.id)
      .where((eb) => eb.or([eb('last_used_at', 'is', null), eb('last_used_at', '<=', new Date(threshold))]))
      .executeTakeFirst();
    return Number(result.numUpdatedRows) > 0;
  }

  /**
   * True at most once per interval per key in this process: whether a refused use of a known key (revoked,
   * expired, lacking a scope) should be noted, so a client retrying a dead key cannot flood the audit trail.
   */
  firstRefusal(id: string, now: Date = new Date()): boolean {
    const name = `refused:${id}`;
    const last = this.#attempts.get(name);
    if (last !== undefined && last > now.getTime() - this.#intervalMs) return false;
    this.#remember(name, now.getTime());
    return true;
  }

  #remember(id: string, at: number): void {
    this.#attempts.delete(id);
    if (this.#attempts.size >= this.#maxEntries) {
      const oldest = this.#attempts.keys().next();
      if (oldest.done !== true) this.#attempts.delete(oldest.value);
    }
    this.#attempts.set(id, at);
  }
}

/**
 * Values kept while the database's generation (`DatabaseHandle.generation()`) holds: the first read at a
 * new generation drops everything, so nothing kept survives a write anywhere. `undefined` (PostgreSQL, a
 * file not open yet) keeps nothing. At most `capacity` entries; the oldest goes first.
 *
 * Read the generation *before* reading what you store, and store under that generation: a write that
 * lands between the two moves the generation, so the value is dropped, never served late.
 */
export class GenerationCache<V> {
  readonly #capacity: number;
  readonly #entries = new Map<string, V>();
  #generation: number | undefined;

  constructor(capacity: number) {
    this.#capacity = capacity;
  }

  get(generation: number | undefined, key: string): V | undefined {
    if (generation === undefined) return undefined;
    if (generation !== this.#generation) {
      this.#entries.clear();
      this.#generation = generation;
      return undefined;
    }
    return this.#entries.get(key);
  }

  set(generation: number | undefined, key: string, value: V): void {
    // A value read under an older generation than the newest one seen is already stale.
    if (generation === undefined || generation !== this.#generation) return;
    if (this.#entries.size >= this.#capacity && !this.#entries.has(key)) {
      const oldest = this.#entries.keys().next();
      if (oldest.done !== true) this.#entries.delete(oldest.value);
    }
    this.#entries.set(key, value);
  }

  /** Entries kept now (for tests). */
  get size(): number {
    return this.#entries.size;
  }
}

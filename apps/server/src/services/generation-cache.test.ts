import { describe, expect, it } from 'vitest';
import { GenerationCache } from './generation-cache.js';

describe('GenerationCache', () => {
  it('answers what was stored under the generation that still holds', () => {
    const cache = new GenerationCache<string>(10);
    expect(cache.get(1, 'a')).toBeUndefined();
    cache.set(1, 'a', 'page');
    expect(cache.get(1, 'a')).toBe('page');
    expect(cache.get(1, 'b')).toBeUndefined();
  });

  it('drops everything at the first read of a new generation', () => {
    const cache = new GenerationCache<string>(10);
    cache.get(1, 'a');
    cache.set(1, 'a', 'page');
    cache.set(1, 'b', 'other');
    expect(cache.get(2, 'b')).toBeUndefined();
    expect(cache.size).toBe(0);
    expect(cache.get(2, 'a')).toBeUndefined();
  });

  it('refuses a value read under an older generation than the newest seen', () => {
    const cache = new GenerationCache<string>(10);
    cache.get(1, 'a'); // a request reads generation 1, then its query runs...
    cache.get(2, 'a'); // ...while another request already saw generation 2 (a write landed)
    cache.set(1, 'a', 'stale');
    expect(cache.get(2, 'a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('keeps nothing when the generation is unknown', () => {
    const cache = new GenerationCache<string>(10);
    expect(cache.get(undefined, 'a')).toBeUndefined();
    cache.set(undefined, 'a', 'page');
    expect(cache.get(undefined, 'a')).toBeUndefined();
    expect(cache.size).toBe(0);
  });

  it('holds at most its capacity, dropping the oldest first', () => {
    const cache = new GenerationCache<number>(3);
    cache.get(7, 'k0');
    for (let index = 0; index < 5; index += 1) cache.set(7, `k${index}`, index);
    expect(cache.size).toBe(3);
    expect(cache.get(7, 'k0')).toBeUndefined();
    expect(cache.get(7, 'k1')).toBeUndefined();
    expect([cache.get(7, 'k2'), cache.get(7, 'k3'), cache.get(7, 'k4')]).toEqual([2, 3, 4]);
    cache.set(7, 'k4', 40); // replacing a kept key evicts nothing
    expect(cache.size).toBe(3);
    expect(cache.get(7, 'k4')).toBe(40);
  });
});

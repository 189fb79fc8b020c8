/**
 * Least-recently-used cache bounded by a byte budget (not an entry count): EBS blocks are 512 KiB
 * each, so "how many megabytes may the scan keep" is the figure an operator sets. Generic over key
 * and value; the caller says how many bytes a value weighs. A value heavier than the whole budget is
 * not stored (storing it would evict everything and then itself).
 *
 * Recency is the insertion order of a Map: a hit deletes and re-inserts the key, eviction takes the
 * first key. Every operation is O(1).
 */

export interface LruCacheOptions<V> {
  /** Budget in bytes; 0 disables caching (every `set` is dropped). */
  maxBytes: number;
  /** Weight of one value in bytes (Buffer: its length). */
  sizeOf: (value: V) => number;
  /** Called for each value pushed out by the budget (not for explicit delete/clear). */
  onEvict?: (key: unknown, value: V) => void;
}

export interface LruCacheStats {
  entries: number;
  bytes: number;
  maxBytes: number;
  hits: number;
  misses: number;
  evictions: number;
  /** Highest `bytes` ever held: a test checks it never exceeds `maxBytes`. */
  peakBytes: number;
}

export class LruCache<K, V> {
  private readonly map = new Map<K, { value: V; size: number }>();
  private bytes = 0;
  private peakBytes = 0;
  private hits = 0;
  private misses = 0;
  private evictions = 0;
  readonly maxBytes: number;

  constructor(private readonly options: LruCacheOptions<V>) {
    if (!Number.isSafeInteger(options.maxBytes) || options.maxBytes < 0) {
      throw new RangeError(`cache option "maxBytes" must be a non-negative integer, got ${options.maxBytes}`);
    }
    this.maxBytes = options.maxBytes;
  }

  get(key: K): V | undefined {
    const entry = this.map.get(key);
    if (!entry) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.map.delete(key);
    this.map.set(key, entry);
    return entry.value;
  }

  /** Looks without counting a hit or refreshing recency. */
  peek(key: K): V | undefined {
    return this.map.get(key)?.value;
  }

  has(key: K): boolean {
    return this.map.has(key);
  }

  set(key: K, value: V): boolean {
    const size = this.options.sizeOf(value);
    if (!Number.isFinite(size) || size < 0)
      throw new RangeError(`cache value size must be >= 0, got ${size}`);
    this.delete(key);
    if (size > this.maxBytes) return false;
    while (this.bytes + size > this.maxBytes) {
      const oldest = this.map.keys().next();
      if (oldest.done) break;
      const entry = this.map.get(oldest.value)!;
      this.map.delete(oldest.value);
      this.bytes -= entry.size;
      this.evictions++;
      this.options.onEvict?.(oldest.value, entry.value);
    }
    this.map.set(key, { value, size });
    this.bytes += size;
    if (this.bytes > this.peakBytes) this.peakBytes = this.bytes;
    return true;
  }

  delete(key: K): boolean {
    const entry = this.map.get(key);
    if (!entry) return false;
    this.map.delete(key);
    this.bytes -= entry.size;
    return true;
  }

  clear(): void {
    this.map.clear();
    this.bytes = 0;
  }

  get size(): number {
    return this.map.size;
  }

  stats(): LruCacheStats {
    return {
      entries: this.map.size,
      bytes: this.bytes,
      maxBytes: this.maxBytes,
      hits: this.hits,
      misses: this.misses,
      evictions: this.evictions,
      peakBytes: this.peakBytes,
    };
  }
}

/**
 * The one least-recently-used cache of the readers: EBS blocks (a byte budget: blocks are 512 KiB
 * each, so "how many megabytes may the scan keep" is the figure an operator sets) and filesystem
 * metadata (ext4 descriptor/extent blocks and inode-table runs, XFS inode clusters, decoded
 * inodes: an entry budget beside the byte budget). Values may be in-flight read promises, so
 * concurrent lookups of one block share one source read. Generic over key and value; the caller
 * says how many bytes a value weighs (`sizeOf`, or per `set`). A value heavier than the whole
 * budget is not stored (storing it would evict everything and then itself).
 *
 * Recency is the insertion order of a Map: a hit deletes and re-inserts the key, eviction takes the
 * first key. Every operation is O(1).
 */

export interface LruCacheOptions<V> {
  /** Budget in bytes (Infinity: entries only); 0 disables caching (every `set` is dropped). */
  maxBytes: number;
  /** Budget in entries (default: unbounded, the byte budget decides). */
  maxEntries?: number;
  /** Weight of one value in bytes (Buffer: its length); `set(k, v, bytes)` may give it instead. */
  sizeOf?: (value: V) => number;
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
  readonly maxEntries: number;

  constructor(private readonly options: LruCacheOptions<V>) {
    const budget = (name: string, v: number) => {
      if (v !== Number.POSITIVE_INFINITY && (!Number.isSafeInteger(v) || v < 0)) {
        throw new RangeError(`cache option "${name}" must be a non-negative integer or Infinity, got ${v}`);
      }
      return v;
    };
    this.maxBytes = budget('maxBytes', options.maxBytes);
    this.maxEntries = budget('maxEntries', options.maxEntries ?? Number.POSITIVE_INFINITY);
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

  set(key: K, value: V, bytes?: number): boolean {
    const size = bytes ?? this.options.sizeOf?.(value) ?? 0;
    if (!Number.isFinite(size) || size < 0)
      throw new RangeError(`cache value size must be >= 0, got ${size}`);
    this.delete(key);
    if (size > this.maxBytes || this.maxEntries === 0) return false;
    while (this.bytes + size > this.maxBytes || this.map.size + 1 > this.maxEntries) {
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

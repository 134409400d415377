/**
 * Values held by key up to a budget of bytes (each value's size as its owner estimates it);
 * the least recently used go first. A value larger than the whole budget is not held.
 */
export class ByteBoundedLru<V> {
  private readonly entries = new Map<string, { value: V; bytes: number }>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** The value held for `key`, now the most recently used. */
  get(key: string): V | undefined {
    const held = this.entries.get(key);
    if (!held) return undefined;
    // Map order is recency: move it to the end.
    this.entries.delete(key);
    this.entries.set(key, held);
    return held.value;
  }

  set(key: string, value: V, bytes: number): void {
    this.delete(key);
    if (bytes > this.maxBytes) return;
    this.entries.set(key, { value, bytes });
    this.bytes += bytes;
    for (const k of this.entries.keys()) {
      if (this.bytes <= this.maxBytes) break;
      this.delete(k);
    }
  }

  delete(key: string): void {
    const held = this.entries.get(key);
    if (!held) return;
    this.entries.delete(key);
    this.bytes -= held.bytes;
  }

  get size(): number {
    return this.entries.size;
  }

  get heldBytes(): number {
    return this.bytes;
  }
}

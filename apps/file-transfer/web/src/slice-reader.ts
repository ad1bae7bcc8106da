/**
 * Reads a File from `start` in slices of at most `max` bytes, through one Blob stream: far fewer
 * round trips to the browser's file reader than a `slice().arrayBuffer()` per slice. The stream
 * is pulled only when a slice is asked for, so at most one stream chunk plus one slice is held.
 */
export class SliceReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #leftover: Uint8Array = new Uint8Array(0);
  #done = false;

  constructor(file: Blob, start: number, end: number = file.size) {
    this.#reader = file.slice(start, end).stream().getReader();
  }

  /** The next slice, at most `max` bytes; an empty one once the end is reached. */
  async next(max: number): Promise<Uint8Array> {
    const parts: Uint8Array[] = [];
    let length = 0;
    while (length < max) {
      if (this.#leftover.length === 0) {
        if (this.#done) break;
        const { done, value } = await this.#reader.read();
        if (done) {
          this.#done = true;
          break;
        }
        this.#leftover = value;
      }
      const take = Math.min(max - length, this.#leftover.length);
      parts.push(this.#leftover.subarray(0, take));
      this.#leftover = this.#leftover.subarray(take);
      length += take;
    }
    if (parts.length === 1) return parts[0] as Uint8Array;
    const slice = new Uint8Array(length);
    let at = 0;
    for (const part of parts) {
      slice.set(part, at);
      at += part.length;
    }
    return slice;
  }

  /** Stops reading (the stream is released). */
  cancel(): void {
    void this.#reader.cancel().catch(() => {});
  }
}

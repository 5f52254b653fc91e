// A fixed-size ring of samples in shared memory: rows of named numbers, one row per second for
// the status page. One thread writes (the upload side, whose timers keep their pace), another
// reads (the HTTP thread). A row is written whole before the count that publishes it; a reader
// takes only published rows, and drops any the writer may have overwritten while it read.
export class SampleRing<F extends string> {
  readonly memory: SharedArrayBuffer;
  private readonly written: Int32Array;
  private readonly rows: Float64Array;

  constructor(
    readonly fields: readonly F[],
    readonly capacity: number,
    memory?: SharedArrayBuffer,
  ) {
    this.memory = memory ?? new SharedArrayBuffer(8 + capacity * fields.length * 8);
    this.written = new Int32Array(this.memory, 0, 1);
    this.rows = new Float64Array(this.memory, 8, capacity * fields.length);
  }

  /** Rows written so far (the ring keeps the last `capacity` of them). */
  get count(): number {
    return Atomics.load(this.written, 0);
  }

  /** The one writer: `row` has a value (or NaN) for every field. */
  push(row: Record<F, number>): void {
    const n = this.count;
    const at = (n % this.capacity) * this.fields.length;
    this.fields.forEach((f, i) => {
      this.rows[at + i] = row[f];
    });
    Atomics.store(this.written, 0, n + 1);
  }

  /**
   * The rows after the first `after` written (all the ring still holds, if those are gone), as
   * columns, oldest first. The row the writer writes next is left out, so what is read is whole.
   */
  read(after = 0): { count: number; columns: Record<F, number[]> } {
    const width = this.fields.length;
    const columns = Object.fromEntries(this.fields.map((f) => [f, [] as number[]])) as Record<F, number[]>;
    const count = this.count;
    const first = Math.max(after, count - this.capacity + 1, 0);
    for (let n = first; n < count; n++) {
      const at = (n % this.capacity) * width;
      this.fields.forEach((f, i) => {
        columns[f].push(this.rows[at + i]!);
      });
    }
    // Rows written while these were read may have overwritten the oldest read: drop those.
    const stale = Math.min(count - first, Math.max(0, this.count - this.capacity + 1 - first));
    if (stale > 0) for (const f of this.fields) columns[f].splice(0, stale);
    return { count, columns };
  }
}

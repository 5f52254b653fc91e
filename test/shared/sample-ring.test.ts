import { describe, expect, it } from "bun:test";
import { SampleRing } from "../../src/shared/sample-ring.ts";

const row = (n: number) => ({ time: n, value: n * 10 });

describe("SampleRing", () => {
  it("gives back the rows pushed, as columns, oldest first", () => {
    const ring = new SampleRing(["time", "value"], 5);
    for (let n = 0; n < 3; n++) ring.push(row(n));
    expect(ring.read()).toEqual({ count: 3, columns: { time: [0, 1, 2], value: [0, 10, 20] } });
  });

  it("keeps the last capacity - 1 rows once it wraps (the slot written next is never read)", () => {
    const ring = new SampleRing(["time", "value"], 5);
    for (let n = 0; n < 12; n++) ring.push(row(n));
    expect(ring.read().columns.time).toEqual([8, 9, 10, 11]);
  });

  it("gives only the rows after those a reader has, or all it keeps when those are gone", () => {
    const ring = new SampleRing(["time", "value"], 5);
    for (let n = 0; n < 12; n++) ring.push(row(n));
    expect(ring.read(10).columns.time).toEqual([10, 11]);
    expect(ring.read(12).columns.time).toEqual([]);
    expect(ring.read(2).columns.time).toEqual([8, 9, 10, 11]);
  });

  it("is read on another thread's view of the same memory, NaN included", () => {
    const writer = new SampleRing(["time", "value"], 5);
    const reader = new SampleRing(["time", "value"], 5, writer.memory);
    writer.push({ time: 1, value: Number.NaN });
    expect(reader.read()).toEqual({ count: 1, columns: { time: [1], value: [Number.NaN] } });
  });

  it("drops rows the writer overwrote while they were read", () => {
    /** A ring whose writer pushes two rows between the reader's first and second look at the count. */
    class Racing extends SampleRing<"time" | "value"> {
      looks = -1; // -1: not racing
      override get count(): number {
        if (this.looks >= 0 && ++this.looks === 2) {
          this.looks = -1;
          this.push(row(8));
          this.push(row(9));
        }
        return super.count;
      }
    }
    const ring = new Racing(["time", "value"], 5);
    for (let n = 0; n < 8; n++) ring.push(row(n));
    ring.looks = 0;
    // It read rows 4..7 meanwhile: row 9 took row 4's slot, and row 5's is the one written next, so
    // only 6 and 7 are sure to be whole.
    expect(ring.read().columns.time).toEqual([6, 7]);
  });
});

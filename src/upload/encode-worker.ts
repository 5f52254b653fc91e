// An encoding thread (FORMAT=parquet), run as a Worker: it builds the same object format from the
// config the main thread sends, then encodes each batch it is sent and answers with the frame's
// bytes, its meta, and the columns of the values that did not fit. Nothing else: the frame is
// placed in its object on the main thread (encode-pool.ts). No top-level await: the handler must
// be in place when the first message arrives.
import type { Batch } from "../queue/batch.ts";
import { collectAllGarbage } from "../runtime.ts";
import type { ObjectFormat } from "./format.ts";
import { createFormat, type FormatConfig } from "./formats.ts";

export type EncodeRequest = { type: "init"; config: FormatConfig } | { type: "encode"; id: number; batch: Batch };
export type EncodeReply = { id: number; body: Uint8Array; meta: unknown; mismatches: string[] } | { id: number; error: string };

declare const self: {
  onmessage: ((event: MessageEvent<EncodeRequest>) => void) | null;
  postMessage(reply: EncodeReply, transfer?: ArrayBuffer[]): void;
};

let format: ObjectFormat | null = null;
let mismatches: string[] = [];

self.onmessage = ({ data }) => {
  if (data.type === "init") {
    format = createFormat(data.config, (column) => void mismatches.push(column));
    return;
  }
  const { id, batch } = data;
  if (!format) return self.postMessage({ id, error: "the encoding thread got a batch before its config" });
  const encoding = format.encode(batch);
  // Mismatches are counted synchronously by encode(): they belong to this batch.
  const counted = mismatches;
  mismatches = [];
  encoding.then(
    (frame) => {
      self.postMessage({ id, body: frame.body, meta: frame.meta, mismatches: counted }, [frame.body.buffer as ArrayBuffer]);
      // A batch's rows, column by column, are garbage now: collected at once, peak RSS halved and encoding no slower (BENCHMARKS.md).
      collectAllGarbage();
    },
    (err: unknown) => self.postMessage({ id, error: err instanceof Error ? err.message : String(err) }),
  );
};

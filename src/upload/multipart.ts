// An object's store calls: each part of its multipart upload as its frames reach
// OBJECT_PART_BYTES, and at completion either one PUT (no part was started) or its last part and
// the Complete. The upload is recorded in the journal before any part goes up, so that after a
// crash the next start aborts it. Every call is retried until it is in (retry.ts); null results
// mean the shutdown deadline stopped it.
import type { ObjectJournal } from "../buffer/journal.ts";
import type { Metrics } from "../metrics.ts";
import type { ObjectStore } from "../store/store.ts";
import type { FramePool } from "./frame-pool.ts";
import type { OpenObject } from "./open-object.ts";
import type { Retrier } from "./retry.ts";

export class Multipart {
  constructor(
    private readonly store: ObjectStore,
    private readonly journal: ObjectJournal,
    private readonly pool: FramePool,
    private readonly retrier: Retrier,
    private readonly metrics: Metrics,
  ) {}

  /** Uploads the frames not in a part yet as the object's next part; resolves once it is in. */
  shipPart(object: OpenObject): Promise<void> {
    const part = this.pool.takePart(object);
    const partNumber = object.nextPart++;
    const upload = (async () => {
      const uploadId = await this.uploadIdOf(object);
      const etag = await this.retrier.store("part", part.payloads, () =>
        this.store.multipart.uploadPart(object.key, uploadId, partNumber, part.body),
      );
      if (etag === null) return;
      object.parts.push({ partNumber, etag, payloads: part.payloads, offset: part.offset, length: part.body.length });
      object.shipping.delete(partNumber);
      this.pool.reuse(part);
      this.metrics.partsUploaded.inc();
    })();
    object.shipping.set(partNumber, { ...part, upload });
    return upload;
  }

  /** Writes the whole object: one PUT if no part was started, else its last part and the Complete. False if stopped first. */
  async write(object: OpenObject): Promise<boolean> {
    if (object.nextPart === 1) {
      // The frames stay in the object until the PUT is in: the shutdown deadline may need them.
      const frames = this.pool.unshipped(object);
      const { format } = object;
      const single = object.payloads === 1 ? (format.single?.(frames) ?? null) : null;
      const key = object.base + (single?.extension ?? format.extension);
      const body = single?.body ?? frames;
      const headers = { contentType: single?.contentType ?? format.contentType, contentEncoding: format.contentEncoding };
      const written = (await this.retrier.store("put", object.payloads, () => this.store.put(key, body, headers))) !== null;
      if (written) this.pool.reuse(this.pool.takePart(object));
      return written;
    }
    if (object.frameBytes > 0) void this.shipPart(object);
    await Promise.all([...object.shipping.values()].map((part) => part.upload));
    const uploadId = await this.uploadIdOf(object);
    const parts = object.parts.map(({ partNumber, etag }) => ({ partNumber, etag }));
    return (await this.retrier.store("complete", object.payloads, () => this.store.multipart.complete(object.key, uploadId, parts))) !== null;
  }

  private uploadIdOf(object: OpenObject): Promise<string> {
    object.uploadId ??= (async () => {
      const { contentType, contentEncoding } = object.format;
      const id = await this.retrier.store("create", 0, () => this.store.multipart.create(object.key, { contentType, contentEncoding }));
      object.createdUploadId = id;
      const { record } = object;
      if (id !== null && record) await this.retrier.journal(() => this.journal.started(record, { key: object.key, uploadId: id }));
      return id ?? "";
    })();
    return object.uploadId;
  }
}

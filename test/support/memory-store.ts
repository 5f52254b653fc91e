// An in-memory ObjectStore for unit tests of the upload loops (integration tests use s3rver and
// moto). Failures are scripted: `failNext(n, error)` makes the next n calls throw, whichever
// call they are. Multipart uploads follow S3's rules: a part under `minPartBytes` that is not the
// last makes the completion fail with EntityTooSmall, and an unknown upload id is NoSuchUpload.
import { type CompletedPart, type MultipartUploads, type ObjectStore, type PutOptions, StoreError } from "../../src/store/store.ts";

interface Upload {
  key: string;
  options: PutOptions;
  parts: Map<number, { body: Uint8Array; etag: string }>;
}

export class MemoryStore implements ObjectStore {
  readonly location = "memory";
  readonly objects = new Map<string, { body: Uint8Array; options: PutOptions; parts?: number }>();
  readonly uploads = new Map<string, Upload>();
  attempts = 0;
  readonly attemptedKeys: string[] = [];
  /** Every call, in order: "put key", "create key", "part key #n", "complete key", "abort key". */
  readonly calls: string[] = [];
  private failures: StoreError[] = [];
  private nextUpload = 0;

  constructor(readonly minPartBytes = 5 * 1024 * 1024) {}

  failNext(n: number, error = new StoreError("server_error", true, "HTTP 500")): void {
    for (let i = 0; i < n; i++) this.failures.push(error);
  }

  /** The store works again: no scripted failure is left. */
  recover(): void {
    this.failures = [];
  }

  private attempt(call: string, key: string): void {
    this.attempts++;
    this.attemptedKeys.push(key);
    this.calls.push(call);
    const failure = this.failures.shift();
    if (failure) throw failure;
  }

  async put(key: string, body: Uint8Array, options: PutOptions): Promise<void> {
    this.attempt(`put ${key}`, key);
    this.objects.set(key, { body: body.slice(), options });
  }

  private upload(uploadId: string): Upload {
    const upload = this.uploads.get(uploadId);
    if (!upload) throw new StoreError("no_such_upload", false, `NoSuchUpload: ${uploadId}`);
    return upload;
  }

  readonly multipart: MultipartUploads = {
    create: async (key, options) => {
      this.attempt(`create ${key}`, key);
      const uploadId = `upload-${this.nextUpload++}`;
      this.uploads.set(uploadId, { key, options, parts: new Map() });
      return uploadId;
    },
    uploadPart: async (key, uploadId, partNumber, body) => {
      this.attempt(`part ${key} #${partNumber}`, key);
      const etag = `"${uploadId}-${partNumber}-${body.length}"`;
      this.upload(uploadId).parts.set(partNumber, { body: body.slice(), etag });
      return etag;
    },
    complete: async (key, uploadId, parts: readonly CompletedPart[]) => {
      this.attempt(`complete ${key}`, key);
      const upload = this.upload(uploadId);
      const ordered = [...parts].sort((a, b) => a.partNumber - b.partNumber);
      const bodies = ordered.map((p, i) => {
        const part = upload.parts.get(p.partNumber);
        if (!part || part.etag !== p.etag) throw new StoreError("client_error", false, `InvalidPart: ${p.partNumber}`);
        if (i < ordered.length - 1 && part.body.length < this.minPartBytes) {
          throw new StoreError("client_error", false, `EntityTooSmall: part ${p.partNumber} has ${part.body.length} bytes`);
        }
        return part.body;
      });
      this.uploads.delete(uploadId);
      this.objects.set(key, { body: Buffer.concat(bodies), options: upload.options, parts: ordered.length });
    },
    abort: async (key, uploadId) => {
      this.attempt(`abort ${key}`, key);
      this.uploads.delete(uploadId);
    },
  };
}

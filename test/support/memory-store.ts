// An in-memory ObjectStore for unit tests of the upload loops (integration tests use s3rver).
// Failures are scripted: `failNext(n, error)` makes the next n puts throw.
import { type ObjectStore, type PutOptions, StoreError } from "../../src/store/store.ts";

export class MemoryStore implements ObjectStore {
  readonly location = "memory";
  readonly objects = new Map<string, { body: Uint8Array; options: PutOptions }>();
  attempts = 0;
  readonly attemptedKeys: string[] = [];
  private failures: StoreError[] = [];

  failNext(n: number, error = new StoreError("server_error", true, "HTTP 500")): void {
    for (let i = 0; i < n; i++) this.failures.push(error);
  }

  /** The store works again: no scripted failure is left. */
  recover(): void {
    this.failures = [];
  }

  async put(key: string, body: Uint8Array, options: PutOptions): Promise<void> {
    this.attempts++;
    this.attemptedKeys.push(key);
    const failure = this.failures.shift();
    if (failure) throw failure;
    this.objects.set(key, { body: body.slice(), options });
  }
}

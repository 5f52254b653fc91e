// Disk mode's acknowledgements, in shared memory. The spool writer takes payloads out of the ring
// in order, appends and fsyncs them, then publishes how many it is done with (a wrapping count
// that matches the ring's `pushed`), and which ranges of them failed to write. The HTTP thread
// answers each collection once that count passes it: 200 if none of its payloads failed, else 503.
//
// The HTTP thread's timers and wake-ups can starve while thousands of sockets keep its loop
// busy, so it checks from the request path too (`check()`, a few loads): under load, requests
// arrive all the time; when idle, the loop is free and the futex wake-up does the job.

const DONE = 0;
const FAILURES = 1;
const LOG = 2;
const LOG_SIZE = 256; // failed ranges kept; a reader further behind than this fails to the safe side

/** Wrap-safe `a >= b` for counts that wrap at 2^32. */
const reached = (a: number, b: number) => ((a - b) | 0) >= 0;

export class AckFailed extends Error {
  override name = "AckFailed";
}

interface Waiting {
  start: number;
  end: number;
  resolve: () => void;
  reject: (err: Error) => void;
}

/**
 * @example
 * const acks = new Acks();                     // the spool writer's side
 * const http = new Acks(acks.memory);          // the HTTP thread's
 * await http.wait(payloads, ring.push(body, spans)); // resolves once acks.publish(...) covers them
 */
export class Acks {
  readonly memory: SharedArrayBuffer;
  private readonly words: Int32Array;
  // Writer side.
  private written = 0;
  // Reader side.
  private readonly waiting: Waiting[] = [];
  private head = 0;
  private failuresSeen = 0;
  private sleeping = false;
  private lost = false;
  private lostBefore = 0;

  constructor(memory?: SharedArrayBuffer) {
    this.memory = memory ?? new SharedArrayBuffer((LOG + 2 * LOG_SIZE) * 4);
    this.words = new Int32Array(this.memory);
  }

  /** Writer: the next `payloads` payloads of the ring are on disk (or, with `failed`, are not). */
  publish(payloads: number, failed = false): void {
    const start = this.written;
    this.written = (this.written + payloads) | 0;
    if (failed) {
      const n = Atomics.load(this.words, FAILURES);
      const at = LOG + 2 * (n % LOG_SIZE);
      Atomics.store(this.words, at, start);
      Atomics.store(this.words, at + 1, this.written);
      Atomics.store(this.words, FAILURES, n + 1);
    }
    Atomics.store(this.words, DONE, this.written);
    Atomics.notify(this.words, DONE);
  }

  /** Reader: resolves once the payloads up to the wrapping count `end` are on disk; rejects with AckFailed. */
  wait(payloads: number, end: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.waiting.push({ start: (end - payloads) | 0, end, resolve, reject });
      this.check();
    });
  }

  /** Reader: answers every waiting collection the writer is done with. Cheap when none is. */
  check(): void {
    if (this.head === this.waiting.length) return;
    const done = Atomics.load(this.words, DONE);
    const failures = Atomics.load(this.words, FAILURES); // read after DONE: covers what DONE covers
    while (this.head < this.waiting.length && reached(done, this.waiting[this.head]!.end)) {
      const w = this.waiting[this.head++]!;
      if (this.failed(w, failures)) w.reject(new AckFailed("the spool could not store the collection"));
      else w.resolve();
    }
    if (this.head === this.waiting.length) {
      this.waiting.length = 0;
      this.head = 0;
    } else this.sleep(done);
  }

  private failed(w: Waiting, failures: number): boolean {
    if (failures - this.failuresSeen > LOG_SIZE) {
      // Failed ranges were overwritten before this thread read them: any collection that starts
      // before the oldest range still kept may have been in one, so it is answered as not stored.
      this.failuresSeen = failures - LOG_SIZE;
      this.lostBefore = Atomics.load(this.words, LOG + 2 * (this.failuresSeen % LOG_SIZE));
      this.lost = true;
    }
    if (this.lost) {
      if (!reached(w.start, this.lostBefore)) return true;
      this.lost = false;
    }
    for (; this.failuresSeen < failures; this.failuresSeen++) {
      const at = LOG + 2 * (this.failuresSeen % LOG_SIZE);
      const to = Atomics.load(this.words, at + 1);
      if (reached(w.start, to)) continue; // that range ended before this collection
      return ((w.end - Atomics.load(this.words, at)) | 0) > 0; // it overlaps, or lies after
    }
    return false;
  }

  /** The fallback for an idle HTTP loop: one futex wait at a time on DONE. */
  private sleep(seen: number): void {
    if (this.sleeping) return;
    const wait = Atomics.waitAsync(this.words, DONE, seen);
    if (!wait.async) return void queueMicrotask(() => this.check());
    this.sleeping = true;
    void wait.value.then(() => {
      this.sleeping = false;
      this.check();
    });
  }
}

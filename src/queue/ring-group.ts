// The control words that the rings of one set share (ring-set.ts: one ring per HTTP thread, one
// consumer over all of them): the totals queued in every ring, the consumer's wake threshold and
// the futex word it sleeps on, the flag that closes every ring at once, and the futex word that
// producers waiting for room sleep on. A ring alone has a group of its own.
//
// The consumer sleeps until what is queued meets its threshold; a producer, having published a
// push, bumps the word only once the totals do. Producers that find no room may sleep until the
// consumer frees some; the consumer bumps that word only while some do.

const TOTAL_PAYLOADS = 0; // payloads queued in every ring: a ring adds its own once it has published them
const TOTAL_BYTES = 1; // (u32 bits)
const WANT_PAYLOADS = 2; // the consumer's wake threshold, over the totals; 0: nobody waits
const WANT_BYTES = 3;
const WAKE = 4; // futex word the consumer sleeps on
const CLOSED = 5; // set by close(): pushes are refused from then on
const PUSHING = 6; // pushes in progress (a producer counts itself in before it reads CLOSED)
const FREED = 7; // futex word producers waiting for room sleep on
const ROOM_WANTED = 8; // producers waiting for room
const SLOTS = 10;

/**
 * @example
 * const group = new RingGroup();                        // the consumer's side
 * const rings = [0, 1].map(() => new RingBuffer(50_000, 8 << 20, group.memory));
 */
export class RingGroup {
  readonly memory: SharedArrayBuffer;
  private readonly words: Int32Array;
  private wakeCalls = 0;

  constructor(memory?: SharedArrayBuffer) {
    this.memory = memory ?? new SharedArrayBuffer(SLOTS * 4);
    this.words = new Int32Array(this.memory);
  }

  /** Producer: counts a push in; false once the set is closed (leave() is due either way). */
  enter(): boolean {
    Atomics.add(this.words, PUSHING, 1);
    return Atomics.load(this.words, CLOSED) === 0;
  }

  leave(): void {
    Atomics.sub(this.words, PUSHING, 1);
  }

  /** Producer: a ring published `payloads` taking `bytes`; wakes the consumer if its threshold is met. */
  published(payloads: number, bytes: number): void {
    const usedBytes = (Atomics.add(this.words, TOTAL_BYTES, bytes) >>> 0) + bytes;
    const usedPayloads = Atomics.add(this.words, TOTAL_PAYLOADS, payloads) + payloads;
    const want = Atomics.load(this.words, WANT_PAYLOADS);
    if (want !== 0 && (usedPayloads >= want || usedBytes >= Atomics.load(this.words, WANT_BYTES) >>> 0)) {
      Atomics.store(this.words, WANT_PAYLOADS, 0);
      this.bump();
    }
  }

  /** Consumer: a ring freed `payloads` taking `bytes`; wakes the producers waiting for room. */
  freed(payloads: number, bytes: number): void {
    Atomics.sub(this.words, TOTAL_PAYLOADS, payloads);
    Atomics.sub(this.words, TOTAL_BYTES, bytes);
    if (Atomics.load(this.words, ROOM_WANTED) > 0) this.freedRoom();
  }

  /**
   * Consumer: resolves once `queued()` ([payloads, bytes], over every ring) reaches `payloads`
   * or `bytes`, after `timeoutMs`, or on wake(). One waiter at a time: the consumer, which
   * serialises its callers. The threshold is armed before `queued()` is read, so a push that
   * lands between the two still wakes it.
   */
  async waitFor(payloads: number, bytes: number, queued: () => readonly [number, number], timeoutMs = Infinity): Promise<void> {
    const wakeCalls = this.wakeCalls;
    const deadline = performance.now() + timeoutMs;
    for (;;) {
      Atomics.store(this.words, WANT_BYTES, Math.min(bytes, 0xffffffff)); // read back as u32
      Atomics.store(this.words, WANT_PAYLOADS, Math.max(1, Math.min(payloads, 0x7fffffff)));
      const seen = Atomics.load(this.words, WAKE);
      const left = deadline - performance.now();
      const [n, b] = queued();
      if (n >= payloads || b >= bytes || this.wakeCalls !== wakeCalls || left <= 0) break;
      const wait = Atomics.waitAsync(this.words, WAKE, seen, left === Infinity ? undefined : left);
      if (wait.async) await wait.value;
    }
    Atomics.store(this.words, WANT_PAYLOADS, 0);
  }

  /** Consumer: releases the waiter, if any, whatever the rings hold. */
  wake(): void {
    this.wakeCalls++;
    this.bump();
  }

  /**
   * Refuses every push into any ring of the set from now on, and returns once no push is in
   * progress: what the rings hold then is all they will ever hold. Producers waiting for room
   * are woken, to find it closed.
   */
  close(): void {
    Atomics.store(this.words, CLOSED, 1);
    while (Atomics.load(this.words, PUSHING) > 0); // a push takes microseconds and never blocks
    this.freedRoom();
  }

  get closed(): boolean {
    return Atomics.load(this.words, CLOSED) === 1;
  }

  /**
   * Producer, before a push that may find no room: counts this producer among those waiting
   * and returns the value to pass to waitForRoom. Counted in before the push reads the ring, so
   * a consumer that frees room after that read sees it and wakes it. roomDone() is due after.
   */
  wantRoom(): number {
    Atomics.add(this.words, ROOM_WANTED, 1);
    return Atomics.load(this.words, FREED);
  }

  /** How many producers are waiting for room now. */
  get waitingForRoom(): number {
    return Atomics.load(this.words, ROOM_WANTED);
  }

  roomDone(): void {
    Atomics.sub(this.words, ROOM_WANTED, 1);
  }

  /**
   * Producer: resolves once the consumer has freed room in any ring since `seen` (wantRoom's
   * value), after `timeoutMs`, or once the set is closed; the caller then tries again.
   */
  async waitForRoom(seen: number, timeoutMs: number): Promise<void> {
    if (Atomics.load(this.words, FREED) !== seen || this.closed || timeoutMs <= 0) return;
    const wait = Atomics.waitAsync(this.words, FREED, seen, timeoutMs);
    if (wait.async) await wait.value;
  }

  private bump(): void {
    Atomics.add(this.words, WAKE, 1);
    Atomics.notify(this.words, WAKE);
  }

  private freedRoom(): void {
    Atomics.add(this.words, FREED, 1);
    Atomics.notify(this.words, FREED);
  }
}

// Whether the store is doing its job, for /ready: unhealthy after a non-retryable error, or after
// retryable failures with no success for `failingAfterMs`. Any success makes it healthy again.
export class StoreHealth {
  private failingSince: number | null = null;
  private fatal = false;

  constructor(
    private readonly failingAfterMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  success(): void {
    this.failingSince = null;
    this.fatal = false;
  }

  failure(retryable: boolean): void {
    this.failingSince ??= this.now();
    if (!retryable) this.fatal = true;
  }

  get healthy(): boolean {
    if (this.fatal) return false;
    return this.failingSince === null || this.now() - this.failingSince < this.failingAfterMs;
  }
}

// The ingest requests that may still put payloads into the queue. The drain waits for their
// count, in shared memory, to reach 0 before it closes the queue. A request counts itself before
// it reads `draining`, so once the drain has seen 0 after setting `draining`, no push can follow;
// a request that finds the service draining uncounts itself at once, so a flood of refused
// posts never holds the drain up.
import type { SharedState } from "../shared/state.ts";

export class RequestsInFlight {
  private readonly counted = new WeakSet<Request>();

  constructor(private readonly state: SharedState) {}

  /** Counts `request` in; false, uncounted, when the service is draining. */
  enter(request: Request): boolean {
    this.state.enterRequest();
    if (this.state.draining) {
      this.state.leaveRequest();
      return false;
    }
    this.counted.add(request);
    return true;
  }

  /** The request is answered. */
  leave(request: Request): void {
    if (this.counted.delete(request)) this.state.leaveRequest();
  }
}

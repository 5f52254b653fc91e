import { describe, expect, it } from "bun:test";
import { RequestsInFlight } from "../../src/http/in-flight.ts";
import { SharedState } from "../../src/shared/state.ts";

describe("RequestsInFlight", () => {
  it("counts a request in until it leaves, in the memory the drain reads", () => {
    const state = new SharedState();
    const fromMain = new SharedState(state.memory);
    const inFlight = new RequestsInFlight(state);
    const a = new Request("http://x/");
    const b = new Request("http://x/");
    expect(inFlight.enter(a)).toBe(true);
    expect(inFlight.enter(b)).toBe(true);
    expect(fromMain.requestsInFlight).toBe(2);
    inFlight.leave(a);
    inFlight.leave(a); // twice: counted once
    expect(fromMain.requestsInFlight).toBe(1);
  });

  it("refuses a request once draining, leaving the count as it was, so a flood of refused posts never holds the drain up", () => {
    const state = new SharedState();
    const inFlight = new RequestsInFlight(state);
    state.draining = true;
    const refused = new Request("http://x/");
    expect(inFlight.enter(refused)).toBe(false);
    expect(state.requestsInFlight).toBe(0);
    inFlight.leave(refused);
    expect(state.requestsInFlight).toBe(0);
  });
});

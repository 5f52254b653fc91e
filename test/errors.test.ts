import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { errorResponse, errorTable, HttpError } from "../src/errors.ts";

describe("HttpError", () => {
  it("takes its status and default headers from the catalog, and lets a call site add to them", async () => {
    const timeout = new HttpError("REQUEST_TIMEOUT", "too slow");
    expect(timeout.status).toBe(408);
    expect(timeout.headers).toEqual({ connection: "close" });
    const full = new HttpError("QUEUE_FULL", "full", { headers: { "retry-after": "10" } });
    expect(full.status).toBe(503);
    expect(full.headers).toEqual({ "retry-after": "10" });
    const res = errorResponse(new HttpError("METHOD_NOT_ALLOWED", "use POST"));
    expect(res.status).toBe(405);
    expect(res.headers.get("allow")).toBe("POST");
    expect(await res.json()).toEqual({ error: "METHOD_NOT_ALLOWED", message: "use POST" });
  });

  it("keeps its cause for the logs", () => {
    const cause = new SyntaxError("bad byte");
    expect(new HttpError("INVALID_JSON", "body is not valid UTF-8 JSON", { cause }).cause).toBe(cause);
  });
});

describe("README", () => {
  it("holds the error table generated from the catalog (bun run docs)", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toContain(errorTable());
  });
});

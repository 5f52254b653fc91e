// Access control on the running process: TOKENS_FILE re-read on SIGHUP, and the admin port.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { collection } from "../support/collections.ts";
import { freePort } from "../support/haproxy.ts";
import { startService } from "../support/service-process.ts";
import { waitUntil } from "../support/wait.ts";

// Real processes and sockets: more than bun's 5 s default; every wait has its own deadline.
setDefaultTimeout(60_000);

describe("access control in the running service", () => {
  it("re-reads TOKENS_FILE on SIGHUP without a restart", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tokens-"));
    try {
      const file = join(dir, "tokens");
      writeFileSync(file, "first\n");
      await using service = await startService({ TOKENS_FILE: file });
      expect((await service.post(collection(["a"], "second"))).status).toBe(401);
      writeFileSync(file, "first\nsecond\n");
      service.signal("SIGHUP");
      await waitUntil(() => service.logs.some((l) => l.msg === "tokens reloaded"), "the reload");
      expect(service.logs.find((l) => l.msg === "tokens reloaded")).toMatchObject({ tokens: 2 });
      expect((await service.post(collection(["b"], "second"))).status).toBe(200);
      expect(JSON.stringify(service.logs)).not.toContain("second");
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it("serves /metrics on ADMIN_PORT on localhost, and not on the public port", async () => {
    const adminPort = await freePort();
    await using service = await startService({ ADMIN_PORT: String(adminPort) });
    expect((await fetch(`${service.url}/metrics`)).status).toBe(404);
    const admin = await fetch(`http://127.0.0.1:${adminPort}/metrics`);
    expect(admin.status).toBe(200);
    expect(await admin.text()).toContain("s3_ingest_http_requests_total");
  });

  it("refuses to start when TOKENS_FILE cannot be read, with one line and exit code 2", async () => {
    const service = startService({ TOKENS_FILE: "/nonexistent/tokens" });
    await expect(service).rejects.toThrow("exited 2");
  });
});

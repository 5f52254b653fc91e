// On EKS with IRSA (deploy/kubernetes/base/service-account.yaml), a pod has no keys: EKS's
// webhook gives it AWS_ROLE_ARN and AWS_WEB_IDENTITY_TOKEN_FILE, and the AWS SDK chain trades
// the token for credentials with STS's AssumeRoleWithWebIdentity. Here moto serves both STS and
// S3 (each behind a recording proxy); run against the source and the binary.
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { collection, idOf, ids } from "../support/collections.ts";
import { hasMoto, startMoto } from "../support/s3.ts";
import { S3Proxy } from "../support/s3-proxy.ts";
import { startService } from "../support/service-process.ts";
import { onTarget, targets } from "../support/targets.ts";
import { tempDir } from "../support/temp-dir.ts";
import { waitUntil } from "../support/wait.ts";

setDefaultTimeout(60_000);

const ROLE = "arn:aws:iam::123456789012:role/s3-ingest";

const runs = targets().flatMap((target) => (["bun", "aws-sdk"] as const).map((client) => ({ target, client })));

for (const { target, client } of runs) {
  const on = onTarget(target, client === "bun" ? { deno: "Deno always uses the AWS SDK, which the S3_CLIENT=aws-sdk run covers" } : {});
  const why = hasMoto ? "" : ` (skipped: no moto_server; pip install "moto[server]")`;
  describe.skipIf(on.skip || !hasMoto)(`credentials from a web identity token (IRSA), S3_CLIENT=${client} ${on.label}${why}`, () => {
    it("trades the token file for STS credentials when no AWS keys are set, and signs its uploads with them", async () => {
      // One moto server answers both APIs; s3rver would refuse keys it did not issue.
      await using s3 = await startMoto();
      await using s3Proxy = new S3Proxy(() => s3.endpoint);
      await using stsProxy = new S3Proxy(() => s3.endpoint);
      using dir = tempDir("s3-ingest-web-identity-");
      const tokenFile = join(dir.path, "token");
      writeFileSync(tokenFile, "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJzeXN0ZW06c2VydmljZWFjY291bnQ6czMtaW5nZXN0OnMzLWluZ2VzdCJ9.c2lnbmF0dXJl");
      await using service = await startService(
        {
          ...s3.envWithoutKeys(s3Proxy.endpoint),
          AWS_ROLE_ARN: ROLE,
          AWS_WEB_IDENTITY_TOKEN_FILE: tokenFile,
          AWS_ENDPOINT_URL_STS: stsProxy.endpoint,
          // No IMDS to fall back on: a chain that skipped the token would fail, not find other keys.
          AWS_EC2_METADATA_DISABLED: "true",
          S3_CLIENT: client,
          BATCH_MAX_WAIT_MS: "20",
          OBJECT_MAX_AGE_MS: "20",
        },
        target,
      );
      expect((await service.post(collection(ids("irsa", 4)))).status).toBe(200);
      await waitUntil(async () => (await s3.lines()).length === 4, "4 payloads in the bucket");
      service.signal("SIGTERM");
      expect(await service.exited()).toBe(0);
      expect((await s3.lines()).map(idOf).sort()).toEqual(ids("irsa", 4).sort());

      // The SDK asked STS (a form POST), and every PUT is signed with temporary credentials:
      // moto's STS issues access keys starting ASIA, with a session token.
      expect(
        stsProxy.seen.some((r) => r.method === "POST" && (r.headers["content-type"] ?? "").startsWith("application/x-www-form-urlencoded")),
      ).toBe(true);
      const puts = s3Proxy.seen.filter((r) => r.method === "PUT");
      expect(puts.length).toBeGreaterThan(0);
      for (const put of puts) {
        expect(put.headers.authorization).toMatch(/^AWS4-HMAC-SHA256 Credential=ASIA[A-Z0-9]+\//);
        expect(put.headers["x-amz-security-token"]?.length ?? 0).toBeGreaterThan(10);
      }
    });
  });
}

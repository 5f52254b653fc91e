// On EC2 the service must find the instance profile's credentials through IMDSv2 with no
// configuration, and keep working as they are rotated. Run against the source and the compiled
// binary (Bun-bundled SDK code has lost credentials before: bun #21322, #11593).
import { describe, expect, it, setDefaultTimeout } from "bun:test";
import { collection, idOf, ids } from "../support/collections.ts";
import { FakeImds } from "../support/fake-imds.ts";
import { startS3 } from "../support/s3.ts";
import { S3Proxy } from "../support/s3-proxy.ts";
import { startService } from "../support/service-process.ts";
import { onTarget, targets } from "../support/targets.ts";
import { waitUntil } from "../support/wait.ts";

// Real processes and a real S3 server: more than bun's 5 s default; every wait has its own deadline.
setDefaultTimeout(60_000);

// The SDK refreshes credentials that expire within 5 minutes: a lifetime just past that makes
// the first set due for refresh two seconds after it is issued.
const REFRESH_WINDOW_SECS = 300;

const runs = targets().flatMap((target) => (["bun", "aws-sdk"] as const).map((client) => ({ target, client })));

for (const { target, client } of runs) {
  const on = onTarget(target, client === "bun" ? { deno: "Deno always uses the AWS SDK, which the S3_CLIENT=aws-sdk run covers" } : {});
  describe.skipIf(on.skip)(`credentials from the EC2 instance profile, S3_CLIENT=${client} ${on.label}`, () => {
    it("uploads with IMDSv2 credentials when no AWS keys are set, and refreshes them before they expire", async () => {
      await using s3 = await startS3();
      await using proxy = new S3Proxy(() => s3.endpoint);
      await using imds = new FakeImds((n) => ({
        AccessKeyId: "S3RVER",
        SecretAccessKey: "S3RVER",
        Token: `session-${n}`,
        lifetimeSecs: n === 0 ? REFRESH_WINDOW_SECS + 2 : 3_600,
      }));
      await using service = await startService(
        {
          ...s3.envWithoutKeys(proxy.endpoint),
          AWS_EC2_METADATA_SERVICE_ENDPOINT: imds.endpoint,
          S3_CLIENT: client,
          BATCH_MAX_WAIT_MS: "20",
          OBJECT_MAX_AGE_MS: "20",
        },
        target,
      );
      const puts = () => proxy.seen.filter((r) => r.method === "PUT");
      expect((await service.post(collection(ids("first", 5)))).status).toBe(200);
      await waitUntil(() => puts().length >= 1, "a PUT signed with instance-profile credentials");
      expect(puts()[0]!.headers["x-amz-security-token"]).toBe("session-0");
      expect(imds.tokenRequests).toBeGreaterThan(0); // IMDSv2: a session token first

      await waitUntil(
        async () => {
          expect((await service.post(collection(ids(`later-${Date.now()}`, 1)))).status).toBe(200);
          return puts().at(-1)!.headers["x-amz-security-token"] === "session-1";
        },
        "a PUT signed with the refreshed credentials",
        { timeoutMs: 20_000, intervalMs: 250 },
      );
      service.signal("SIGTERM");
      expect(await service.exited()).toBe(0);
      const landed = (await s3.lines()).map(idOf);
      expect(landed).toEqual(expect.arrayContaining(ids("first", 5)));
      // s3rver does not check secrets, so the proof is in what signed each PUT: the IMDS key and session tokens.
      expect(puts().every((r) => /^AWS4-HMAC-SHA256 Credential=S3RVER\//.test(r.headers.authorization ?? ""))).toBe(true);
      expect(puts().every((r) => /^session-\d$/.test(r.headers["x-amz-security-token"] ?? ""))).toBe(true);
    });

    it("uploads with ECS container credentials when no AWS keys are set", async () => {
      await using s3 = await startS3();
      await using proxy = new S3Proxy(() => s3.endpoint);
      await using imds = new FakeImds((n) => ({ AccessKeyId: "S3RVER", SecretAccessKey: "S3RVER", Token: `ecs-${n}`, lifetimeSecs: 3_600 }));
      await using service = await startService(
        {
          ...s3.envWithoutKeys(proxy.endpoint),
          AWS_CONTAINER_CREDENTIALS_FULL_URI: `${imds.endpoint}${imds.ecsPath}`,
          S3_CLIENT: client,
          BATCH_MAX_WAIT_MS: "20",
          OBJECT_MAX_AGE_MS: "20",
        },
        target,
      );
      expect((await service.post(collection(ids("ecs", 3)))).status).toBe(200);
      await waitUntil(async () => (await s3.lines()).length === 3, "3 payloads in the bucket");
      expect(proxy.seen.find((r) => r.method === "PUT")!.headers["x-amz-security-token"]).toBe("ecs-0");
    });
  });
}

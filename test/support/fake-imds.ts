// A local EC2 instance metadata service (IMDSv2) that hands out temporary credentials, as an
// instance profile does. The SDK finds it through AWS_EC2_METADATA_SERVICE_ENDPOINT. It also
// answers as the ECS container credentials endpoint at `ecsPath`.
export interface IssuedCredentials {
  AccessKeyId: string;
  SecretAccessKey: string;
  Token: string;
  /** Seconds from issue to expiry. */
  lifetimeSecs: number;
}

export class FakeImds {
  readonly role = "s3-ingest-test-role";
  /** Credentials fetches served, in order. */
  readonly issued: string[] = [];
  tokenRequests = 0;
  readonly ecsPath = "/v2/credentials/task";
  private readonly server: ReturnType<typeof Bun.serve>;

  /** `next(n)` gives the credentials for the n-th fetch (0-based). */
  constructor(next: (n: number) => IssuedCredentials) {
    const session = "imds-session-token";
    this.server = Bun.serve({
      hostname: "127.0.0.1",
      port: 0,
      fetch: (req) => {
        const path = new URL(req.url).pathname;
        if (req.method === "GET" && path === this.ecsPath) {
          const { body } = this.issue(next);
          return Response.json({ ...body, RoleArn: `arn:aws:iam::123456789012:role/${this.role}` });
        }
        if (req.method === "PUT" && path === "/latest/api/token") {
          if (!req.headers.get("x-aws-ec2-metadata-token-ttl-seconds")) return new Response("missing TTL", { status: 400 });
          this.tokenRequests++;
          return new Response(session);
        }
        if (req.headers.get("x-aws-ec2-metadata-token") !== session) return new Response("unauthorized", { status: 401 });
        const m = path.match(/^\/latest\/meta-data\/iam\/security-credentials(?:-extended)?\/(.*)$/);
        if (!m) return new Response("not found", { status: 404 });
        if (m[1] === "") return new Response(this.role);
        if (m[1] !== this.role) return new Response("not found", { status: 404 });
        const { body } = this.issue(next);
        return Response.json({ Code: "Success", Type: "AWS-HMAC", LastUpdated: new Date().toISOString(), ...body });
      },
    });
  }

  private issue(next: (n: number) => IssuedCredentials) {
    const creds = next(this.issued.length);
    this.issued.push(creds.Token);
    const expiration = new Date(Date.now() + creds.lifetimeSecs * 1000).toISOString();
    return { body: { AccessKeyId: creds.AccessKeyId, SecretAccessKey: creds.SecretAccessKey, Token: creds.Token, Expiration: expiration } };
  }

  get endpoint(): string {
    return `http://127.0.0.1:${this.server.port}`;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.server.stop(true);
  }
}

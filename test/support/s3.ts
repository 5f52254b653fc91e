// Real S3 API servers for tests, each on a free port with one bucket, and helpers that read every
// object back through the AWS SDK (decompressing .gz and .zst) as the payload lines it holds:
// s3rver (npm, always there), and moto's server (pip), which is stricter: like S3 it refuses a
// multipart part under 5 MiB that is not the last (EntityTooSmall).

import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, zstdDecompressSync } from "node:zlib";
import { CreateBucketCommand, GetObjectCommand, ListMultipartUploadsCommand, ListObjectsV2Command, S3Client } from "@aws-sdk/client-s3";
import S3rver from "s3rver";

export const S3_CREDENTIALS = { AWS_ACCESS_KEY_ID: "S3RVER", AWS_SECRET_ACCESS_KEY: "S3RVER" };

export interface StoredObject {
  key: string;
  body: Uint8Array;
  contentType?: string;
  contentEncoding?: string;
  /** The payload lines, decompressed for `.gz` and `.zst` keys. */
  lines: string[];
}

/** What tests read back from either server. */
abstract class S3Api {
  port = 0;
  readonly bucket = "ingest-test";
  protected readonly client: () => S3Client;

  constructor() {
    let client: S3Client | null = null;
    this.client = () =>
      (client ??= new S3Client({
        region: "us-east-1",
        endpoint: this.endpoint,
        forcePathStyle: true,
        credentials: { accessKeyId: "S3RVER", secretAccessKey: "S3RVER" },
        requestChecksumCalculation: "WHEN_REQUIRED",
        responseChecksumValidation: "WHEN_REQUIRED",
      }));
  }

  abstract start(): Promise<this>;
  abstract stop(): Promise<void>;

  get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Env vars that point the service at this server. */
  get env(): Record<string, string> {
    return { ...this.envWithoutKeys(), ...S3_CREDENTIALS };
  }

  /** The same with no AWS keys, for credentials found another way; `endpoint` may be a proxy in front of this server. */
  envWithoutKeys(endpoint = this.endpoint): Record<string, string> {
    return { S3_BUCKET: this.bucket, S3_ENDPOINT: endpoint, S3_FORCE_PATH_STYLE: "true", AWS_REGION: "us-east-1" };
  }

  /** Every key in the bucket (a listing only: cheap enough to poll). */
  async keys(prefix = ""): Promise<string[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.client().send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: prefix, ContinuationToken: token }));
      for (const o of page.Contents ?? []) keys.push(o.Key!);
      token = page.NextContinuationToken;
    } while (token);
    return keys;
  }

  async objects(prefix = ""): Promise<StoredObject[]> {
    const keys = await this.keys(prefix);
    return Promise.all(
      keys.map(async (key) => {
        const got = await this.client().send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
        const body = await got.Body!.transformToByteArray();
        const plain = key.endsWith(".gz") ? gunzipSync(body) : key.endsWith(".zst") ? zstdDecompressSync(body) : body;
        const text = new TextDecoder().decode(plain);
        const lines = text.split("\n").filter((l) => l !== "");
        return { key, body, contentType: got.ContentType, contentEncoding: got.ContentEncoding, lines };
      }),
    );
  }

  /** Every payload line in the bucket. */
  async lines(): Promise<string[]> {
    return (await this.objects()).flatMap((o) => o.lines);
  }

  /** Multipart uploads started and neither completed nor aborted. */
  async openUploads(): Promise<{ key: string; uploadId: string }[]> {
    const page = await this.client().send(new ListMultipartUploadsCommand({ Bucket: this.bucket }));
    return (page.Uploads ?? []).map((u) => ({ key: u.Key!, uploadId: u.UploadId! }));
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.stop();
    this.client().destroy();
  }
}

/** s3rver, in this process: permissive (it takes parts of any size). */
export class TestS3 extends S3Api {
  private server: S3rver | null = null;
  readonly dir = mkdtempSync(join(tmpdir(), "s3rver-"));

  /** Starts on a free port, or on the port of the previous run (a restart keeps the endpoint). */
  async start(): Promise<this> {
    this.server = new S3rver({
      port: this.port,
      address: "127.0.0.1",
      silent: true,
      directory: this.dir,
      configureBuckets: [{ name: this.bucket, configs: [] }],
    });
    const address = await this.server.run();
    this.port = address.port;
    return this;
  }

  async stop(): Promise<void> {
    await this.server?.close();
    this.server = null;
  }

  override async [Symbol.asyncDispose](): Promise<void> {
    await super[Symbol.asyncDispose]();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export async function startS3(): Promise<TestS3> {
  return new TestS3().start();
}

/** Whether moto's server can run here (`pip install "moto[server]"`; `.ci/run` installs it). */
export const hasMoto = spawnSync("moto_server", ["--help"], { stdio: "ignore" }).status === 0;

/** moto's S3 server, in a process of its own: as strict as S3 about multipart part sizes. */
export class TestMoto extends S3Api {
  private child: ChildProcess | null = null;

  async start(): Promise<this> {
    const child = spawn("moto_server", ["-H", "127.0.0.1", "-p", "0"], { stdio: ["ignore", "ignore", "pipe"] });
    this.child = child;
    this.port = await new Promise<number>((resolve, reject) => {
      let text = "";
      const timer = setTimeout(() => reject(new Error(`moto_server did not start: ${text}`)), 30_000);
      child.stderr!.on("data", (chunk: Buffer) => {
        text += chunk.toString();
        const m = /Running on http:\/\/127\.0\.0\.1:(\d+)/.exec(text);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
      child.once("exit", (code) => reject(new Error(`moto_server exited ${code}: ${text}`)));
    });
    await this.client().send(new CreateBucketCommand({ Bucket: this.bucket }));
    return this;
  }

  async stop(): Promise<void> {
    const child = this.child;
    this.child = null;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGTERM");
    await exited;
  }
}

export async function startMoto(): Promise<TestMoto> {
  return new TestMoto().start();
}

// S3 through Bun's native client (S3_CLIENT=bun, the default on Bun): about a tenth of the AWS
// SDK's CPU per PUT (BENCHMARKS.md). Bun.S3Client reads credentials only from its options, so
// they come from the AWS SDK's default chain (env, profile, ECS, web identity, EC2 instance
// profile), whose provider caches them and fetches new ones five minutes before they expire.
// Multipart uploads go through the AWS SDK's calls, with the same credentials: Bun's multipart
// writer keeps its upload id to itself, and the spool must record it so that the next start can
// abort an upload a crash left. Parts themselves go up with the runtime's fetch to a URL the SDK
// presigns: through the SDK's HTTP handler, sending 8 MiB parts one after another raised RSS by
// about 40 MiB, with fetch by about 10 (BENCHMARKS.md).

import { UploadPartCommand } from "@aws-sdk/client-s3";
import { fromNodeProviderChain } from "@aws-sdk/credential-providers";
import { getSignedUrl } from "@aws-sdk/s3-request-presigner";
import { createSdkClient, sdkMultipart } from "./aws-sdk-store.ts";
import { classifyS3Failure } from "./s3-errors.ts";
import type { S3StoreOptions } from "./s3-options.ts";
import { type MultipartUploads, type ObjectStore, StoreError } from "./store.ts";

/** Where Bun.S3Client must send requests: virtual-hosted on AWS, path-style when asked. */
export function bunEndpoint(options: Pick<S3StoreOptions, "bucket" | "region" | "endpoint" | "forcePathStyle">) {
  if (!options.endpoint) return { endpoint: `https://${options.bucket}.s3.${options.region}.amazonaws.com`, virtualHostedStyle: true };
  if (options.forcePathStyle) return { endpoint: options.endpoint, virtualHostedStyle: false };
  const url = new URL(options.endpoint);
  url.hostname = `${options.bucket}.${url.hostname}`;
  return { endpoint: url.origin, virtualHostedStyle: true };
}

type CredentialProvider = ReturnType<typeof fromNodeProviderChain>;
type Credentials = Awaited<ReturnType<CredentialProvider>>;

export function createBunS3Store(
  options: S3StoreOptions,
  credentials: CredentialProvider = fromNodeProviderChain({ clientConfig: { region: options.region } }),
): ObjectStore {
  const { endpoint, virtualHostedStyle } = bunEndpoint(options);
  let client: Bun.S3Client | null = null;
  let signedWith: Credentials | null = null;
  const clientFor = (c: Credentials) => {
    if (client && signedWith === c) return client;
    signedWith = c;
    client = new Bun.S3Client({
      accessKeyId: c.accessKeyId,
      secretAccessKey: c.secretAccessKey,
      sessionToken: c.sessionToken,
      region: options.region,
      bucket: options.bucket,
      endpoint,
      virtualHostedStyle,
      retry: 0, // the upload loops retry
    });
    return client;
  };

  const sdk = createSdkClient(options, credentials);
  return {
    location: `s3://${options.bucket}`,
    multipart: { ...sdkMultipart(sdk, options), uploadPart: (...args) => uploadPartByFetch(sdk, options, ...args) },
    async put(key, body, object) {
      let creds: Credentials;
      try {
        creds = await credentials();
      } catch (err) {
        throw new StoreError("credentials", true, `no AWS credentials: ${(err as Error).message}`, { cause: err });
      }
      let timer: ReturnType<typeof setTimeout> | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(Object.assign(new Error(`no answer within ${options.requestTimeoutMs} ms`), { code: "Timeout" })),
          options.requestTimeoutMs,
        );
      });
      try {
        await Promise.race([clientFor(creds).write(key, body, { type: object.contentType, contentEncoding: object.contentEncoding }), timeout]);
      } catch (err) {
        throw classifyThrown(err);
      } finally {
        clearTimeout(timer);
      }
    },
  };
}

/** One part, PUT with fetch to a presigned UploadPart URL; S3's error code is read from its XML answer. */
async function uploadPartByFetch(
  sdk: ReturnType<typeof createSdkClient>,
  options: S3StoreOptions,
  ...[Key, UploadId, PartNumber, body]: Parameters<MultipartUploads["uploadPart"]>
): Promise<string> {
  let res: Response;
  try {
    const url = await getSignedUrl(sdk, new UploadPartCommand({ Bucket: options.bucket, Key, UploadId, PartNumber }), { expiresIn: 900 });
    res = await fetch(url, { method: "PUT", body, signal: AbortSignal.timeout(options.requestTimeoutMs) });
  } catch (err) {
    throw classifyThrown(err);
  }
  const text = await res.text().catch(() => "");
  if (!res.ok) {
    const code = /<Code>([^<]+)<\/Code>/.exec(text)?.[1];
    throw classifyS3Failure(code, res.status, /<Message>([^<]*)<\/Message>/.exec(text)?.[1] ?? text.slice(0, 200), undefined);
  }
  const etag = res.headers.get("etag");
  if (!etag) throw classifyS3Failure("InternalError", res.status, "UploadPart answered no ETag", undefined);
  return etag;
}

/** A thrown failure: its `code` (Bun's S3 errors, our timeout) or `name` (fetch's errors) is the code to classify by. */
function classifyThrown(err: unknown): StoreError {
  const e = err as { code?: string; name?: string; message?: string };
  return classifyS3Failure(e?.code ?? e?.name, undefined, e?.message ?? String(err), err);
}

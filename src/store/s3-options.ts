// Where and how the S3 stores (Bun's client and the AWS SDK) write, from the config.

/**
 * @example
 * { bucket: "telemetry", region: "us-east-1", endpoint: "", forcePathStyle: false, requestTimeoutMs: 30_000, maxSockets: 4 }
 */
export interface S3StoreOptions {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  requestTimeoutMs: number;
  maxSockets: number;
}

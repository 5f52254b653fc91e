// The version `--version` prints: package.json's, plus the commit baked in by `bun run build`.
import pkg from "../package.json" with { type: "json" };

declare const S3_INGEST_BUILD: string | undefined;

export const VERSION: string = pkg.version;
export const BUILD: string = typeof S3_INGEST_BUILD === "string" ? S3_INGEST_BUILD : "source";

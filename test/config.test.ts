import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import { ConfigError, ConfigSchema, loadConfig, RENAMED, renamedInUse } from "../src/config.ts";
import { helpText, markdownTable } from "../src/config-text.ts";

describe("loadConfig", () => {
  it("uses every default when the environment is empty", () => {
    const c = loadConfig({});
    expect(c.PORT).toBe(8080);
    expect(c.HOST).toBe("0.0.0.0");
    expect(c.MAX_BODY_BYTES).toBe(1024 * 1024);
    expect(c.COMPRESSION).toBe("zstd");
    expect(c.S3_CLIENT).toBe("bun");
    expect(c.S3_BUCKET).toBe("");
    expect(c.DATA_DIR).toBe("./data");
    expect(Object.isFrozen(c)).toBe(true);
  });

  it("converts numbers, booleans and enums from their text", () => {
    const c = loadConfig({
      MAX_QUEUE_PAYLOADS: "500",
      S3_FORCE_PATH_STYLE: "true",
      COMPRESSION: "none",
      LOG_LEVEL: "debug",
      BATCH_MAX_PAYLOADS: "1",
    });
    expect(c).toMatchObject({ MAX_QUEUE_PAYLOADS: 500, S3_FORCE_PATH_STYLE: true, COMPRESSION: "none", LOG_LEVEL: "debug", BATCH_MAX_PAYLOADS: 1 });
  });

  it("trims slashes from S3_PREFIX", () => {
    expect(loadConfig({ S3_PREFIX: "/a/b/" }).S3_PREFIX).toBe("a/b");
  });

  it("takes FORMAT=parquet only with columns it can read, and snappy only for Parquet", () => {
    expect(loadConfig({ FORMAT: "parquet", PARQUET_COLUMNS: "event:string,n:bigint", COMPRESSION: "snappy" })).toMatchObject({
      FORMAT: "parquet",
      COMPRESSION: "snappy",
    });
    expect(() => loadConfig({ FORMAT: "parquet" })).toThrow(
      new ConfigError('PARQUET_COLUMNS must name the columns with FORMAT=parquet, e.g. "event:string,ts:timestamp_ms", got ""'),
    );
    expect(() => loadConfig({ FORMAT: "parquet", PARQUET_COLUMNS: "event:text" })).toThrow(
      new ConfigError('PARQUET_COLUMNS: "event:text": the type must be one of string, bigint, double, boolean, timestamp_ms, date, json, got "text"'),
    );
    expect(() => loadConfig({ COMPRESSION: "snappy" })).toThrow(/COMPRESSION must be zstd, gzip or none with FORMAT=ndjson/);
  });

  it("names the variable and the value received when a value is bad", () => {
    expect(() => loadConfig({ MAX_QUEUE_PAYLOADS: "0" })).toThrow(
      new ConfigError('MAX_QUEUE_PAYLOADS must be an integer from 1 to 100000000, got "0"'),
    );
    expect(() => loadConfig({ PORT: "80a" })).toThrow(new ConfigError('PORT must be an integer from 0 to 65535, got "80a"'));
    expect(() => loadConfig({ COMPRESSION: "brotli" })).toThrow(new ConfigError('COMPRESSION must be one of zstd, gzip, snappy, none, got "brotli"'));
    expect(() => loadConfig({ S3_FORCE_PATH_STYLE: "maybe" })).toThrow(new ConfigError('S3_FORCE_PATH_STYLE must be true or false, got "maybe"'));
  });

  it("clamps batches to the queue that feeds them, so a batch can always fill", () => {
    expect(loadConfig({ MAX_QUEUE_PAYLOADS: "10" }).BATCH_MAX_PAYLOADS).toBe(10);
    expect(loadConfig({ MAX_BODY_BYTES: "1024", MAX_QUEUE_BYTES: "2048", BATCH_MAX_BYTES: "4096" }).BATCH_MAX_BYTES).toBe(2048);
  });

  it("refuses a queue too small to take one request of MAX_BODY_BYTES", () => {
    expect(() => loadConfig({ MAX_BODY_BYTES: "4096", MAX_QUEUE_BYTES: "2048" })).toThrow(
      new ConfigError('MAX_QUEUE_BYTES must be at least MAX_BODY_BYTES (4096), got "2048"'),
    );
  });

  it("still reads the old names of renamed variables, and says which are in use", () => {
    const env = { MAX_QUEUE: "500", BATCH_MAX_RECORDS: "7" };
    expect(loadConfig(env)).toMatchObject({ MAX_QUEUE_PAYLOADS: 500, BATCH_MAX_PAYLOADS: 7 });
    expect(renamedInUse(env)).toEqual([
      ["MAX_QUEUE", "MAX_QUEUE_PAYLOADS"],
      ["BATCH_MAX_RECORDS", "BATCH_MAX_PAYLOADS"],
    ]);
    expect(renamedInUse({ MAX_QUEUE_PAYLOADS: "500", MAX_QUEUE: "" })).toEqual([]);
    expect(loadConfig({ MAX_QUEUE: "500", MAX_QUEUE_PAYLOADS: "500" }).MAX_QUEUE_PAYLOADS).toBe(500);
    for (const name of Object.values(RENAMED)) expect(ConfigSchema.properties).toHaveProperty(name);
  });

  it("refuses an old and a new name set to different values", () => {
    expect(() => loadConfig({ MAX_QUEUE: "500", MAX_QUEUE_PAYLOADS: "600" })).toThrow(
      new ConfigError('MAX_QUEUE is the old name of MAX_QUEUE_PAYLOADS; set only MAX_QUEUE_PAYLOADS, got "500" and "600"'),
    );
  });

  it("takes a field name to partition by, and refuses what could not be one key level's name", () => {
    expect(loadConfig({ PARTITION_BY: "eventType", TIME_PARTITION: "day" })).toMatchObject({ PARTITION_BY: "eventType", TIME_PARTITION: "day" });
    for (const bad of ["a/b", "a=b", "1st", "a b", "x".repeat(129)]) {
      expect(() => loadConfig({ PARTITION_BY: bad })).toThrow(
        new ConfigError(`PARTITION_BY must be a field name (letters, digits and _, not starting with a digit) or empty, got ${JSON.stringify(bad)}`),
      );
    }
  });

  it("takes PARTITION_BY in either durability mode, and `version` for the envelope's version", () => {
    expect(loadConfig({ PARTITION_BY: "event", DURABILITY: "disk" })).toMatchObject({ PARTITION_BY: "event", DURABILITY: "disk" });
    expect(loadConfig({ PARTITION_BY: "version" })).toMatchObject({ PARTITION_BY: "version" });
  });

  it("refuses a gzip level past 9", () => {
    expect(() => loadConfig({ COMPRESSION: "gzip", COMPRESSION_LEVEL: "12" })).toThrow(
      new ConfigError('COMPRESSION_LEVEL must be from 0 to 9 with gzip, got "12"'),
    );
    expect(loadConfig({ COMPRESSION_LEVEL: "12" }).COMPRESSION_LEVEL).toBe(12);
  });
});

describe("helpText", () => {
  it("lists every variable with its default", () => {
    const help = helpText();
    for (const [name, schema] of Object.entries(ConfigSchema.properties)) {
      expect(help).toContain(`  ${name}  (`);
      expect(help).toContain(`default: ${JSON.stringify(schema.default)}`);
    }
  });
});

describe("README", () => {
  it("holds the configuration table generated from the schema (bun run docs)", () => {
    const readme = readFileSync(new URL("../README.md", import.meta.url), "utf8");
    expect(readme).toContain(markdownTable());
  });
});

// `s3-ingest athena-ddl`: the table's key template and projections are checked against keys the
// service itself names under the same configuration, so the DDL cannot drift from the layout.
import { describe, expect, it } from "bun:test";
import { athenaDdl, DdlError, parseDdlArgs } from "../src/athena-ddl.ts";
import { loadConfig } from "../src/config.ts";
import { partitionOf } from "../src/partition/partitions.ts";
import { createKeyNamer } from "../src/upload/object-key.ts";
import { ROOT } from "./support/targets.ts";

const COLUMNS = "`id` string, `ts` bigint";
const property = (ddl: string, name: string) => ddl.match(new RegExp(`'${name.replace(/\./g, "\\.")}' = '([^']*)'`))?.[1];
const partitionColumns = (ddl: string) => [...(ddl.match(/PARTITIONED BY \(([^)]*)\)/)?.[1] ?? "").matchAll(/`(\w+)` string/g)].map((m) => m[1]);

/** The template filled with each column's value read back from `key`, as Athena fills it for a query. */
function fill(template: string, key: string, columns: string[]): string {
  const levels = Object.fromEntries(
    key
      .split("/")
      .flatMap((l) => (l.includes("=") ? [l.split("=") as [string, string]] : []))
      .map(([k, v]) => [k.toLowerCase(), v]),
  );
  return columns.reduce((t, c) => t.replace(`\${${c}}`, levels[c]!), template);
}

describe("athena-ddl", () => {
  for (const env of [
    { PARTITION_BY: "eventType", TIME_PARTITION: "hour" },
    { PARTITION_BY: "event", TIME_PARTITION: "day", COMPRESSION: "gzip" },
    { PARTITION_BY: "version", TIME_PARTITION: "day" },
    { TIME_PARTITION: "hour" },
    { TIME_PARTITION: "day", S3_PREFIX: "" },
  ]) {
    it(`gives the key template of the objects the service writes (${JSON.stringify(env)})`, () => {
      const config = loadConfig({ S3_BUCKET: "bkt", ...env });
      const ddl = athenaDdl(config, { table: "events", columns: COLUMNS });
      const key = createKeyNamer(
        config.S3_PREFIX,
        "0123456789abcdef",
        () => Date.UTC(2026, 10, 27, 5, 30),
        config.TIME_PARTITION,
      )(".x", config.PARTITION_BY ? partitionOf(config.PARTITION_BY, "boot") : "");
      const columns = partitionColumns(ddl) as string[];
      // The levels of the key, in order, are the partition columns.
      expect(columns).toEqual(key.split("/").flatMap((l) => (l.includes("=") ? [l.split("=")[0]!.toLowerCase()] : [])));
      const template = property(ddl, "storage.location.template")!;
      expect(`${fill(template, key, columns)}${key.split("/").at(-1)}`).toBe(`s3://bkt/${key}`);
      // Each projection's type and format read the key's own values.
      expect(property(ddl, "projection.dt.format")).toBe("yyyy-MM-dd");
      expect(key).toContain("dt=2026-11-27/");
      if (config.TIME_PARTITION === "hour") {
        expect([property(ddl, "projection.hr.range"), property(ddl, "projection.hr.digits")]).toEqual(["0,23", "2"]);
        expect(key).toContain("/hr=05/");
      } else expect(property(ddl, "projection.hr.type")).toBeUndefined();
      if (config.PARTITION_BY) expect(property(ddl, `projection.${config.PARTITION_BY.toLowerCase()}.type`)).toBe("injected");
      expect(ddl).toContain(`in ${{ zstd: ".ndjson.zst", gzip: ".ndjson.gz", none: ".ndjson", snappy: "" }[config.COMPRESSION]} files`);
      expect(ddl).toContain("ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'");
      expect(ddl).toContain(`(\n  ${COLUMNS}\n)`);
    });
  }

  it("makes the field an enum projection when its values are given, and takes the location from the argument", () => {
    const config = loadConfig({ PARTITION_BY: "event" });
    const ddl = athenaDdl(config, parseDdlArgs(["--table", "t", "--columns", COLUMNS, "--location", "s3://other/pre/", "--values", "boot, scan"]));
    expect([property(ddl, "projection.event.type"), property(ddl, "projection.event.values")]).toEqual(["enum", "boot,scan"]);
    expect(property(ddl, "storage.location.template")).toBe(`s3://other/pre/event=${"$"}{event}/dt=${"$"}{dt}/hr=${"$"}{hr}/`);
  });

  it("says what is missing: the table, the columns, a location; and refuses the partition column among the columns", () => {
    const config = loadConfig({ PARTITION_BY: "event" });
    expect(() => parseDdlArgs(["--columns", COLUMNS])).toThrow(DdlError);
    expect(() => athenaDdl(config, parseDdlArgs(["--table", "t", "--location", "s3://b/p"]))).toThrow(/--columns is required/);
    expect(() => athenaDdl(config, { table: "t", columns: COLUMNS })).toThrow(/--location s3:\/\/bucket\/prefix is required/);
    expect(() => athenaDdl(config, { table: "t", columns: "`event` string, `id` string", location: "s3://b/p" })).toThrow(
      /leave event out of --columns/,
    );
  });

  it("runs as a command of the executable: the DDL on stdout, exit 0; a usage error on stderr, exit 2", () => {
    const run = (args: string[]) =>
      Bun.spawnSync([process.execPath, `${ROOT}/src/main.ts`, "athena-ddl", ...args], {
        env: { PATH: process.env.PATH ?? "", S3_BUCKET: "b", PARTITION_BY: "event" },
      });
    const ok = run(["--table", "t", "--columns", COLUMNS]);
    expect(ok.exitCode).toBe(0);
    expect(ok.stdout.toString()).toContain("CREATE EXTERNAL TABLE IF NOT EXISTS `t`");
    const bad = run(["--table", "t"]);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr.toString()).toContain("--columns is required");
  });
});

describe("athena-ddl with columns as PARQUET_COLUMNS declares them", () => {
  it("converts name:type pairs, and for FORMAT=parquet stores the table as Parquet with PARQUET_COLUMNS and _extra by default", () => {
    const ndjson = athenaDdl(loadConfig({ S3_BUCKET: "b" }), parseDdlArgs(["--table", "t", "--columns", "id:string,ts:timestamp_ms,n:bigint"]));
    expect(ndjson).toContain("(\n  `id` string, `ts` timestamp, `n` bigint\n)");
    expect(ndjson).toContain("ROW FORMAT SERDE 'org.openx.data.jsonserde.JsonSerDe'");
    const parquet = athenaDdl(
      loadConfig({ S3_BUCKET: "b", FORMAT: "parquet", PARQUET_COLUMNS: "event:string,day:date" }),
      parseDdlArgs(["--table", "t"]),
    );
    expect(parquet).toContain("(\n  `event` string, `day` date, `_received_at` timestamp, `_version` string, `_extra` string\n)");
    expect(parquet).toContain("STORED AS PARQUET");
    expect(parquet).not.toContain("JsonSerDe");
    expect(parquet).toContain("in .parquet files (pages compressed with zstd)");
  });

  it("refuses a dotted name, which Athena cannot give a column", () => {
    const config = loadConfig({ S3_BUCKET: "b", FORMAT: "parquet", PARQUET_COLUMNS: "counters.cpu_ms:bigint" });
    expect(() => athenaDdl(config, parseDdlArgs(["--table", "t"]))).toThrow(/Athena cannot name a column "counters.cpu_ms"/);
  });
});

import { describe, expect, it } from "bun:test";
import { athenaColumns, ColumnSpecError, parseColumns } from "../src/columns.ts";

describe("parseColumns", () => {
  it("reads name:type pairs, a dotted name as a path into nested objects", () => {
    expect(parseColumns("event:string, ts:timestamp_ms,machine_id:string,counters.cpu_ms:bigint")).toEqual([
      { name: "event", path: ["event"], type: "string" },
      { name: "ts", path: ["ts"], type: "timestamp_ms" },
      { name: "machine_id", path: ["machine_id"], type: "string" },
      { name: "counters.cpu_ms", path: ["counters", "cpu_ms"], type: "bigint" },
    ]);
  });

  it("refuses what it cannot read, saying what is wrong", () => {
    const refused = (spec: string) => {
      try {
        parseColumns(spec);
      } catch (err) {
        expect(err).toBeInstanceOf(ColumnSpecError);
        return (err as Error).message;
      }
      throw new Error(`accepted ${spec}`);
    };
    expect(refused("event")).toContain("has no type");
    expect(refused("event:text")).toContain("must be one of string, bigint, double, boolean, timestamp_ms, date, json");
    expect(refused("a..b:string")).toContain("keys joined by dots");
    expect(refused("a.:string")).toContain("keys joined by dots");
    expect(refused("a. b:string")).toContain("without spaces at its ends");
    expect(refused("a:string,a:bigint")).toContain("declared twice");
    expect(refused("a:json,a.b:string")).toContain("cannot also be the object another reads into");
    expect(refused("_extra:string")).toContain("the writer adds itself");
    expect(refused(" , ")).toContain("no columns");
  });

  it("takes keys with inner spaces, and trims the spaces around an entry", () => {
    expect(parseColumns(" my key : string ")).toEqual([{ name: "my key", path: ["my key"], type: "string" }]);
  });

  it("gives Athena's types, a json column as a string", () => {
    expect(athenaColumns(parseColumns("e:string,n:bigint,d:double,b:boolean,t:timestamp_ms,day:date,raw:json,c.x:bigint"))).toBe(
      "`e` string, `n` bigint, `d` double, `b` boolean, `t` timestamp, `day` date, `raw` string, `c.x` bigint",
    );
  });
});

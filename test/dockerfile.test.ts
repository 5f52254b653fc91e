// No Docker engine runs here, so the Dockerfile is checked against the build script and the
// config it must stay in step with: same build command, same entrypoint, the default port.
import { describe, expect, it } from "bun:test";
import { readFileSync } from "node:fs";
import pkg from "../package.json" with { type: "json" };
import { ConfigSchema } from "../src/config.ts";

const dockerfile = readFileSync(new URL("../Dockerfile", import.meta.url), "utf8");
const lines = dockerfile
  .split("\n")
  .filter((l) => l.trim() && !l.trimStart().startsWith("#"))
  .map((l) => l.trim());
const stages = dockerfile.split(/^FROM /m).slice(1);
const runtime = stages.at(-1)!;
const instruction = (name: string, text = runtime) =>
  text
    .split("\n")
    .filter((l) => l.startsWith(`${name} `))
    .map((l) => l.slice(name.length + 1).trim());
const execForm = (value: string) => JSON.parse(value.replace(/^CMD /, "")) as string[];

describe("Dockerfile", () => {
  it("builds the binary with the same command as `bun run build`", () => {
    expect(pkg.scripts.build).toBe("bun run scripts/build.ts");
    const build = stages[0]!;
    expect(instruction("RUN", build).some((r) => /(^|&& |npx )bun run build( |$)/.test(r))).toBe(true);
    expect(instruction("COPY", build).some((c) => c.startsWith("scripts"))).toBe(true);
  });

  it("runs the built binary as PID 1 in exec form, from where the build stage put it", () => {
    const copy = instruction("COPY").find((c) => c.startsWith("--from="))!;
    const [, from, to] = copy.split(/\s+/);
    expect(from).toEndWith("/dist/s3-ingest");
    expect(execForm(instruction("ENTRYPOINT")[0]!)).toEqual([to!]);
  });

  it("exposes the default PORT", () => {
    expect(instruction("EXPOSE")).toEqual([String(ConfigSchema.properties.PORT.default)]);
  });

  it("checks health with the binary's own healthcheck subcommand, needing no shell", () => {
    const [healthcheck] = instruction("HEALTHCHECK");
    const cmd = execForm(healthcheck!.slice(healthcheck!.indexOf("CMD ")));
    const entry = execForm(instruction("ENTRYPOINT")[0]!);
    expect(cmd).toEqual([...entry, "healthcheck"]);
  });

  it("runs as a non-root user on a minimal base, stopped by SIGTERM", () => {
    expect(runtime.split("\n")[0]).toMatch(/distroless|slim/);
    const [user] = instruction("USER");
    expect(user).toBeDefined();
    expect(["root", "0"]).not.toContain(user!.split(":")[0]);
    expect(instruction("STOPSIGNAL")).toEqual(["SIGTERM"]);
    expect(lines.filter((l) => l.startsWith("FROM ")).length).toBe(2);
  });
});

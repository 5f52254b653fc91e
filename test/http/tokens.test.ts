import { describe, expect, it } from "bun:test";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { loadConfig } from "../../src/config.ts";
import { redactedConfig } from "../../src/config-text.ts";
import { createTokenCheck, tokenDigest } from "../../src/http/tokens.ts";

const tempFile = (text: string) => {
  const dir = mkdtempSync(join(tmpdir(), "tokens-"));
  const path = join(dir, "tokens");
  writeFileSync(path, text);
  return { path, [Symbol.dispose]: () => rmSync(dir, { recursive: true, force: true }) };
};

describe("token check", () => {
  it("allows any token when no list is configured", () => {
    const check = createTokenCheck("", "");
    expect(check.enabled).toBe(false);
    expect(check.allows(tokenDigest("anything"))).toBe(true);
  });

  it("allows only the tokens of ALLOWED_TOKENS and TOKENS_FILE", () => {
    using file = tempFile("# clients\nfile-token\n\n  spaced  \n");
    const check = createTokenCheck("a, b", file.path);
    for (const t of ["a", "b", "file-token", "spaced"]) expect(check.allows(tokenDigest(t))).toBe(true);
    for (const t of ["c", "", "# clients", "A"]) expect(check.allows(tokenDigest(t))).toBe(false);
    expect(check.count).toBe(4);
  });

  it("picks up an edited TOKENS_FILE on reload, and keeps the old list when the file is gone", () => {
    using file = tempFile("old\n");
    const check = createTokenCheck("", file.path);
    writeFileSync(file.path, "new\n");
    expect(check.reload()).toEqual({ ok: true, count: 1 });
    expect(check.allows(tokenDigest("new"))).toBe(true);
    expect(check.allows(tokenDigest("old"))).toBe(false);
    rmSync(file.path);
    expect(check.reload().ok).toBe(false);
    expect(check.allows(tokenDigest("new"))).toBe(true);
  });

  it("never shows tokens in the start-up config", () => {
    const shown = JSON.stringify(redactedConfig(loadConfig({ ALLOWED_TOKENS: "secret-one,secret-two" })));
    expect(shown).not.toContain("secret");
    expect(shown).toContain("(2 tokens)");
  });
});

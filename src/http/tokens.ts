// Who may post: the tokens of ALLOWED_TOKENS and TOKENS_FILE (re-read on SIGHUP). Presented
// tokens are compared through their SHA-256 digests, so the time a check takes says nothing
// about how close a guess was. Tokens themselves are never logged, counted or stored.
import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";

export const tokenDigest = (token: string) => createHash("sha256").update(token).digest("base64");

export interface TokenCheck {
  /** Whether any token list is configured (else every token is allowed). */
  readonly enabled: boolean;
  readonly count: number;
  /** Whether the token with this digest (tokenDigest) may post. */
  allows(digest: string): boolean;
  /** Re-reads TOKENS_FILE; keeps the previous list when the file cannot be read. */
  reload(): { ok: true; count: number } | { ok: false; error: string };
}

const parse = (text: string, separator: RegExp) =>
  text
    .split(separator)
    .map((t) => t.trim())
    .filter((t) => t !== "" && !t.startsWith("#"));

/**
 * @param allowedTokens ALLOWED_TOKENS, comma-separated. @default "" (none listed)
 * @param tokensFile TOKENS_FILE, re-read by `reload()`. @default "" (none)
 * @example
 * const tokens = createTokenCheck("alpha,beta", "");
 * tokens.allows(tokenDigest("alpha")); // true
 */
export function createTokenCheck(allowedTokens: string, tokensFile: string): TokenCheck {
  const fromEnv = parse(allowedTokens, /,/);
  let digests = new Set<string>();
  const load = () => {
    const fromFile = tokensFile ? parse(readFileSync(tokensFile, "utf8"), /\r?\n/) : [];
    digests = new Set([...fromEnv, ...fromFile].map(tokenDigest));
  };
  load(); // a missing TOKENS_FILE at start-up is a configuration error: let it throw
  const enabled = fromEnv.length > 0 || tokensFile !== "";
  return {
    enabled,
    get count() {
      return digests.size;
    },
    allows: (digest) => !enabled || digests.has(digest),
    reload() {
      try {
        load();
        return { ok: true, count: digests.size };
      } catch (err) {
        return { ok: false, error: (err as Error).message };
      }
    },
  };
}

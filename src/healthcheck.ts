// `s3-ingest healthcheck`: asks the running service's /health, for container HEALTHCHECKs that
// have no shell or curl. Exit 0 when it answers 200, else 1.
import type { Config } from "./config.ts";

export async function healthcheck(config: Config): Promise<number> {
  const host = config.HOST === "0.0.0.0" || config.HOST === "::" ? "127.0.0.1" : config.HOST;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${config.PORT}/health`;
  try {
    const res = await fetch(url, { signal: AbortSignal.timeout(2_000) });
    return res.status === 200 ? 0 : 1;
  } catch {
    return 1;
  }
}

// The listening sockets of the HTTP thread: the public port, and the admin port when
// ADMIN_PORT is set. Each request goes through the thread's `handle`, which also runs its
// housekeeping, so that keeps pace however busy the sockets are.
import { type Server, serve } from "../runtime.ts";
import type { HttpThread } from "./http-thread.ts";
import { withRoutableUrl } from "./routable-url.ts";

export interface Listening {
  port: number;
  adminPort: number | null;
  servers: Server[];
}

export function listen(http: HttpThread): Listening {
  const { adminApp, config, pump } = http;
  const server = serve({ hostname: config.HOST, port: config.PORT, idleTimeoutSecs: config.IDLE_TIMEOUT_SECS, fetch: http.handle });
  const admin = adminApp
    ? serve({
        hostname: config.ADMIN_HOST,
        port: config.ADMIN_PORT,
        idleTimeoutSecs: config.IDLE_TIMEOUT_SECS,
        fetch: async (request) => {
          pump();
          return adminApp.handle(withRoutableUrl(request));
        },
      })
    : null;
  return { port: server.port, adminPort: admin?.port ?? null, servers: admin ? [server, admin] : [server] };
}

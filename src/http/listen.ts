// The listening sockets of one HTTP thread: the public port, and on thread 0 the admin port when
// ADMIN_PORT is set. With several HTTP threads each listens on the same public port
// (reusePort), and the kernel spreads connections among them. Each request goes through the
// thread's `handle`, which also runs its housekeeping, so that keeps pace however busy the sockets are.
import { type Server, serve } from "../runtime.ts";
import type { HttpThread } from "./http-thread.ts";
import { withRoutableUrl } from "./routable-url.ts";

export interface Listening {
  port: number;
  adminPort: number | null;
  servers: Server[];
}

export interface ListenOn {
  /** The public port: PORT, or for threads after the first the port the first one bound. */
  port: number;
  /** Whether other threads listen on the port too. */
  shared: boolean;
  /** Whether this thread serves the admin port (one thread does). */
  admin: boolean;
}

export function listen(http: HttpThread, on: ListenOn = { port: http.config.PORT, shared: false, admin: true }): Listening {
  const { adminApp, config, pump } = http;
  const server = serve({ hostname: config.HOST, port: on.port, idleTimeoutSecs: config.IDLE_TIMEOUT_SECS, reusePort: on.shared, fetch: http.handle });
  const admin =
    adminApp && on.admin
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

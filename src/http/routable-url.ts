// Routing that never depends on the Host header.

/**
 * Elysia finds the path at the first "/" past the 11th character of the URL, which a short Host
 * ("x") or none at all breaks: such requests get a canonical host.
 */
export function withRoutableUrl(request: Request): Request {
  const url = request.url;
  const scheme = url.indexOf("://");
  // No Host header at all (HTTP/1.0, as HAProxy's health checks send): Bun gives just the path.
  const pathStart = scheme < 0 ? 0 : url.indexOf("/", scheme + 3);
  if (pathStart >= 11) return request;
  return new Request(`http://s3-ingest.invalid${pathStart < 0 ? "/" : url.slice(pathStart)}`, request);
}

/**
 * What the apps' servers send with their browser page, one policy for all three: the page's own
 * scripts, styles and connections only (Socket.IO on the same origin, WebSocket included), so
 * text that slipped into the DOM as markup could neither run nor load anything.
 * @see https://www.w3.org/TR/CSP3/
 */
export const PAGE_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

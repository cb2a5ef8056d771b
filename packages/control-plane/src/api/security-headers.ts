import type { FastifyInstance } from 'fastify';

/**
 * The UI's and the API's security headers. The CSP allows what the UI needs and no more: its own
 * scripts (no inline script, no eval), styles (inline ones too: React and noVNC set style
 * attributes), images from data:/blob: (noVNC's cursor) and https: (a template's icon may be an
 * admin-chosen https URL), and connections to its own origin
 * ('self' covers same-origin ws:/wss:, the VNC WebSocket). No framing (clickjacking), no MIME
 * sniffing, no Referer leaving the site. HSTS only when PUBLIC_URL is https: on plain http it would
 * be ignored, and on a localhost it would pin the name to https for every other app.
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob: https:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** The API docs page (swagger-ui) carries inline bootstrapping; it gets its own, looser policy. */
const DOCS_CSP = CONTENT_SECURITY_POLICY.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'");

export function installSecurityHeaders(app: FastifyInstance, publicUrl: string): void {
  const hsts = new URL(publicUrl).protocol === 'https:';
  app.addHook('onSend', async (request, reply, payload) => {
    const docs = request.url.startsWith('/api/docs');
    reply.header('content-security-policy', docs ? DOCS_CSP : CONTENT_SECURITY_POLICY);
    reply.header('x-content-type-options', 'nosniff');
    reply.header('x-frame-options', 'DENY');
    reply.header('referrer-policy', 'no-referrer');
    if (hsts) reply.header('strict-transport-security', 'max-age=31536000');
    return payload;
  });
}

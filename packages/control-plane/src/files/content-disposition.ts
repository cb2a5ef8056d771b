/**
 * `attachment` with the file's name: an ASCII fallback for old clients and the exact name as
 * RFC 5987 `filename*`, so a name with quotes, semicolons or non-Latin letters arrives whole and
 * cannot inject header parameters.
 */
export function contentDisposition(name: string): string {
  const fallback = name.replace(/[^\x20-\x7e]/g, '_').replace(/["\\;]/g, '_');
  const encoded = encodeURIComponent(name).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `attachment; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

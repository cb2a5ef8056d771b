/**
 * Agent identity, shared by both ends. Each agent proves who it is with its own credential (a
 * random secret it keeps in AGENT_CREDENTIAL_FILE; the control plane stores its SHA-256), sent as
 * `Authorization: Bearer <credential>`. The control plane's AGENT_TOKEN is a join token, sent in
 * JOIN_TOKEN_HEADER: it lets an agent id that is not enrolled yet enroll with the credential it
 * presents, and nothing else.
 */
export const JOIN_TOKEN_HEADER = 'x-streamspace-join-token';

/** A tunnel dial (`/agent/tunnel/{id}`) carries the tunnel token as `Authorization: Bearer` and the
 * dialling agent's own credential in this header: the token is a bearer secret, so a copy of it in
 * another agent's hands must not be enough to join the stream. */
export const AGENT_CREDENTIAL_HEADER = 'x-streamspace-agent-credential';

/** Credentials are written `ssa_` + base64url of 32 random bytes; the prefix lets secret scanners
 * recognise a leaked one. Any secret of at least MIN_CREDENTIAL_LENGTH characters is accepted (the
 * Helm chart generates its own). */
export const CREDENTIAL_PREFIX = 'ssa_';
export const MIN_CREDENTIAL_LENGTH = 32;
export const MAX_CREDENTIAL_LENGTH = 512;
const CREDENTIAL_CHARS = /^[A-Za-z0-9._~+/=-]+$/;

/** Agent ids end up in Kubernetes label values, container labels and close reasons: the label-value
 * syntax (at most 63 ASCII letters, digits, '-', '_', '.', starting and ending alphanumeric). */
export const AGENT_ID_PATTERN = /^[A-Za-z0-9]([A-Za-z0-9._-]{0,61}[A-Za-z0-9])?$/;

/** Why `id` is not a valid agent id, or undefined when it is. */
export function agentIdProblem(id: string): string | undefined {
  if (AGENT_ID_PATTERN.test(id)) return undefined;
  const shown = JSON.stringify(id.length > 40 ? `${[...id].slice(0, 40).join('')}…` : id);
  if (id.length === 0) return 'agent id is empty';
  if (id.length > 63) return `agent id ${shown} is ${id.length} characters long; at most 63 are allowed`;
  return `agent id ${shown} may contain only ASCII letters, digits, '-', '_' and '.', and must start and end with a letter or digit`;
}

/** Why `credential` cannot be an agent credential, or undefined when it can. */
export function credentialProblem(credential: string): string | undefined {
  if (credential.length < MIN_CREDENTIAL_LENGTH) {
    return `the agent credential is ${credential.length} characters long; at least ${MIN_CREDENTIAL_LENGTH} random characters are required`;
  }
  if (credential.length > MAX_CREDENTIAL_LENGTH)
    return `the agent credential is longer than ${MAX_CREDENTIAL_LENGTH} characters`;
  if (!CREDENTIAL_CHARS.test(credential))
    return 'the agent credential may contain only letters, digits and . _ ~ + / = -';
  return undefined;
}

/**
 * Cuts `text` to at most `maxBytes` of UTF-8 without splitting a character: WebSocket close reasons
 * are limited to 123 bytes, and a reason cut inside a multi-byte character made `ws` throw.
 */
export function truncateUtf8(text: string, maxBytes: number): string {
  const encoder = new TextEncoder();
  if (encoder.encode(text).length <= maxBytes) return text;
  let out = '';
  let bytes = 0;
  for (const char of text) {
    const size = encoder.encode(char).length;
    if (bytes + size > maxBytes - 3) return `${out}…`;
    out += char;
    bytes += size;
  }
  return out;
}

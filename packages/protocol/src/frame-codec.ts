import { Compile } from 'typebox/compile';
import type { TSchema } from 'typebox';
import { AgentMessages, type AgentMessage } from './agent-messages.js';
import { ControlPlaneMessages, type ControlPlaneMessage, type ProtocolError } from './control-plane-messages.js';
import { MAX_FRAME_BYTES, PROTOCOL_VERSION } from './version.js';

/** A decoded frame, or the error to send back: bad input is a value, never a throw. */
export type Decoded<M> = { ok: true; message: M } | { ok: false; error: ProtocolError };

type Catalog = Record<string, TSchema>;

function compileCatalog(catalog: Catalog) {
  return new Map(Object.entries(catalog).map(([type, schema]) => [type, Compile(schema)]));
}

/** Describes the first validation failure as `field: problem`, so the sender knows what to fix. */
function describeFirstError(errors: Iterable<{ instancePath: string; message: string }>): string {
  for (const error of errors) {
    const field = error.instancePath === '' ? '(payload)' : error.instancePath.slice(1).replaceAll('/', '.');
    return `${field}: ${error.message}`;
  }
  return 'invalid';
}

/**
 * Validates the envelope `{v, type, payload}`, then the payload against the schema registered for
 * `type`. One message per frame: a JSON array (several messages batched, the upstream bug) is an
 * envelope error, not something to guess at.
 */
function makeDecoder<M>(catalog: Catalog, peer: string) {
  const validators = compileCatalog(catalog);
  const known = [...validators.keys()].join(', ');
  return (frame: string | Buffer): Decoded<M> => {
    const size = typeof frame === 'string' ? Buffer.byteLength(frame) : frame.length;
    if (size > MAX_FRAME_BYTES) {
      return fail('frame_too_large', `frame of ${size} bytes exceeds the ${MAX_FRAME_BYTES}-byte limit`);
    }
    let value: unknown;
    try {
      value = JSON.parse(frame.toString());
    } catch (cause) {
      return fail('invalid_json', `frame is not JSON (${(cause as Error).message}); send one JSON object per frame`);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value)) {
      return fail('invalid_envelope', 'frame must be one JSON object {v, type, payload}');
    }
    const { v, type, payload } = value as Record<string, unknown>;
    if (v !== PROTOCOL_VERSION) {
      return fail(
        'unsupported_version',
        `v: expected protocol version ${PROTOCOL_VERSION}, got ${JSON.stringify(v) ?? 'nothing'}`,
      );
    }
    if (typeof type !== 'string') return fail('invalid_envelope', 'type: must be a string');
    const validator = validators.get(type);
    if (!validator) {
      return fail('unknown_type', `type: unknown ${peer} message ${JSON.stringify(type)}; expected one of ${known}`);
    }
    if (!validator.Check(payload)) {
      return fail('invalid_payload', `${type}.${describeFirstError(validator.Errors(payload))}`);
    }
    return { ok: true, message: { type, payload } as M };
  };
}

function fail(code: ProtocolError['code'], message: string): { ok: false; error: ProtocolError } {
  return { ok: false, error: { code, message } };
}

/** Used by the control plane on frames from agents. */
export const decodeAgentFrame = makeDecoder<AgentMessage>(AgentMessages, 'agent');
/** Used by agents on frames from the control plane. */
export const decodeControlPlaneFrame = makeDecoder<ControlPlaneMessage>(ControlPlaneMessages, 'control-plane');

export function encodeFrame(message: AgentMessage | ControlPlaneMessage): string {
  return JSON.stringify({ v: PROTOCOL_VERSION, type: message.type, payload: message.payload });
}

import { Type, type Static } from 'typebox';

/** Every state a session can be in; the control plane's state machine owns the transitions. */
export const SessionStateName = Type.Union([
  Type.Literal('pending'),
  Type.Literal('starting'),
  Type.Literal('running'),
  Type.Literal('stopping'),
  Type.Literal('stopped'),
  Type.Literal('hibernating'),
  Type.Literal('hibernated'),
  Type.Literal('failed'),
  Type.Literal('deleted'),
]);
export type SessionStateName = Static<typeof SessionStateName>;

export const SESSION_STATES: readonly SessionStateName[] = [
  'pending',
  'starting',
  'running',
  'stopping',
  'stopped',
  'hibernating',
  'hibernated',
  'failed',
  'deleted',
];

export const Platform = Type.Union([Type.Literal('docker'), Type.Literal('kubernetes')]);
export type Platform = Static<typeof Platform>;
export const PLATFORMS: readonly Platform[] = ['docker', 'kubernetes'];

export * from './version.js';
export * from './close-codes.js';
export * from './session-state.js';
export * from './agent-messages.js';
export * from './control-plane-messages.js';
export * from './frame-codec.js';
export * from './duration.js';
export * from './vnc-close.js';

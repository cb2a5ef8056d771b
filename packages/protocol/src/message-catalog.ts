import type { Static, TSchema } from 'typebox';

/** A catalog's messages as a tagged union: `{type: 'register', payload: Register} | …`. */
export type MessageOf<Catalog extends Record<string, TSchema>> = {
  [K in keyof Catalog & string]: { type: K; payload: Static<Catalog[K]> };
}[keyof Catalog & string];

// Coprocess Objects as tests read them. The protobuf types make every field optional and
// nullable; a test reads the fields it expects to be there, and a missing one fails its assertion.
import type { CoprocessObject } from '../../src/coprocess/dispatcher';

/** `T` with every field, at every depth, taken as present and non-null. */
export type Present<T> = T extends Uint8Array
  ? T
  : T extends readonly (infer U)[]
    ? Present<U>[]
    : T extends object
      ? { -readonly [K in keyof T]-?: Present<NonNullable<T[K]>> }
      : T;

export type Reply = Present<CoprocessObject>;

/** A dispatch result, read as `Reply`. */
export const present = (object: CoprocessObject): Reply => object as Reply;

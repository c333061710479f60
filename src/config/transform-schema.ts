import { type Static, type TSchema, Type } from '@sinclair/typebox';

// Tyk's header-injection, URL-rewrite and method-transform keys of a version (src/transform/).
// Go writes a nil map or list as `null`, so exported Tyk definitions carry nulls: accepted as empty.
const Nullable = <T extends TSchema>(schema: T) =>
  Type.Optional(Type.Union([schema, Type.Null()]));
const Headers = () => Nullable(Type.Record(Type.String(), Type.String()));
const Names = () => Nullable(Type.Array(Type.String()));

/** One `transform_headers` / `transform_response_headers` entry (Tyk's HeaderInjectionMeta). */
export const HeaderInjectionSchema = Type.Object({
  path: Type.String(),
  method: Type.Optional(Type.String()),
  delete_headers: Names(),
  add_headers: Headers(),
  act_on: Type.Optional(Type.Boolean()),
  disabled: Type.Optional(Type.Boolean()),
});
export type HeaderInjection = Static<typeof HeaderInjectionSchema>;

/** A trigger condition on one value: `match_rx` (regex), `reverse` (match when it does not). */
export const StringRegexSchema = Type.Object({
  match_rx: Type.String(),
  reverse: Type.Optional(Type.Boolean()),
});
export type StringRegex = Static<typeof StringRegexSchema>;
const RegexMap = () => Nullable(Type.Record(Type.String(), StringRegexSchema));

export const RewriteTriggerSchema = Type.Object({
  on: Type.Optional(Type.Union([Type.Literal('any'), Type.Literal('all')])),
  options: Type.Optional(Type.Object({
    header_matches: RegexMap(),
    query_val_matches: RegexMap(),
    path_part_matches: RegexMap(),
    session_meta_matches: RegexMap(),
    request_context_matches: RegexMap(),
    payload_matches: Type.Optional(Type.Union([Type.Object({ match_rx: Type.Optional(Type.String()), reverse: Type.Optional(Type.Boolean()) }), Type.Null()])),
  })),
  rewrite_to: Type.String(),
});
export type RewriteTrigger = Static<typeof RewriteTriggerSchema>;

/** One `url_rewrites` entry (Tyk's URLRewriteMeta). */
export const UrlRewriteSchema = Type.Object({
  path: Type.String(),
  method: Type.Optional(Type.String()),
  match_pattern: Type.String(),
  rewrite_to: Type.String(),
  triggers: Nullable(Type.Array(RewriteTriggerSchema)),
  disabled: Type.Optional(Type.Boolean()),
});
export type UrlRewrite = Static<typeof UrlRewriteSchema>;

/** One `method_transforms` entry (Tyk's MethodTransformMeta). */
export const MethodTransformSchema = Type.Object({
  path: Type.String(),
  method: Type.Optional(Type.String()),
  to_method: Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }),
  disabled: Type.Optional(Type.Boolean()),
});
export type MethodTransform = Static<typeof MethodTransformSchema>;

/** The version keys of this feature, spread into the version schema (config/api-definition.ts). */
export const VersionTransformKeys = {
  global_headers: Headers(),
  global_headers_remove: Names(),
  global_headers_disabled: Type.Optional(Type.Boolean()),
  global_response_headers: Headers(),
  global_response_headers_remove: Names(),
  global_response_headers_disabled: Type.Optional(Type.Boolean()),
};

/** The `extended_paths` keys of this feature. */
export const ExtendedPathTransformKeys = {
  transform_headers: Nullable(Type.Array(HeaderInjectionSchema)),
  transform_response_headers: Nullable(Type.Array(HeaderInjectionSchema)),
  url_rewrites: Nullable(Type.Array(UrlRewriteSchema)),
  method_transforms: Nullable(Type.Array(MethodTransformSchema)),
};

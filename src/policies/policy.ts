import { type Static, Type } from '@sinclair/typebox';

/**
 * One Tyk security policy (user.Policy), as Tyk's file policy source reads it. Only what
 * isogate applies is typed; every other Tyk key is kept as is (and served by GET /tyk/policies).
 */
const AccessSpecSchema = Type.Object({ url: Type.String(), methods: Type.Optional(Type.Array(Type.String())) }, { additionalProperties: true });

const PolicyAccessSchema = Type.Object(
  {
    api_id: Type.Optional(Type.String()),
    api_name: Type.Optional(Type.String()),
    versions: Type.Optional(Type.Array(Type.String())),
    allowed_urls: Type.Optional(Type.Array(AccessSpecSchema)),
  },
  { additionalProperties: true },
);

export const PolicySchema = Type.Object(
  {
    /** The id sessions name in `apply_policies`; in a policy_record_name file, the map key when absent. */
    id: Type.Optional(Type.String()),
    /** Dashboard exports carry the id here. */
    _id: Type.Optional(Type.String()),
    name: Type.Optional(Type.String()),
    org_id: Type.Optional(Type.String()),
    rate: Type.Optional(Type.Number({ minimum: 0 })),
    per: Type.Optional(Type.Number({ minimum: 0 })),
    quota_max: Type.Optional(Type.Integer({ minimum: -1 })),
    quota_renewal_rate: Type.Optional(Type.Integer({ minimum: 0 })),
    access_rights: Type.Optional(Type.Record(Type.String(), PolicyAccessSchema)),
    tags: Type.Optional(Type.Array(Type.String())),
    meta_data: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    is_inactive: Type.Optional(Type.Boolean()),
    active: Type.Optional(Type.Boolean()),
    hmac_enabled: Type.Optional(Type.Boolean()),
    last_updated: Type.Optional(Type.String()),
    partitions: Type.Optional(
      Type.Object(
        {
          quota: Type.Optional(Type.Boolean()),
          rate_limit: Type.Optional(Type.Boolean()),
          acl: Type.Optional(Type.Boolean()),
          complexity: Type.Optional(Type.Boolean()),
          per_api: Type.Optional(Type.Boolean()),
        },
        { additionalProperties: true },
      ),
    ),
  },
  { additionalProperties: true },
);

export type Policy = Static<typeof PolicySchema> & { id: string };

/** The loaded policies by id: what sessions' apply_policies name. */
export type PolicySet = ReadonlyMap<string, Policy>;

import type { AccessDefinition, SessionState } from '../pipeline/session';
import type { Policy, PolicySet } from './policy';

/** What applying a session's policies gave: the session to use, or why the key is refused. */
export type PolicyOutcome = { ok: true; session: SessionState } | { ok: false; reason: string };

interface Limit {
  rate: number;
  per: number;
  quotaMax: number;
  quotaRenewalRate: number;
}

const n = (v: unknown): number => (typeof v === 'number' && Number.isFinite(v) ? v : 0);

/** The policy ids a session names: `apply_policies`, else the legacy `apply_policy_id`. */
export function policyIdsOf(session: SessionState): string[] {
  if (Array.isArray(session.apply_policies) && session.apply_policies.length > 0) return session.apply_policies;
  return typeof session.apply_policy_id === 'string' && session.apply_policy_id !== '' ? [session.apply_policy_id] : [];
}

/** Tyk's int64 comparison for quotas: -1 (unlimited) beats everything else. */
function greaterQuota(a: number, b: number): boolean {
  if (a === -1) return b !== -1;
  if (b === -1) return false;
  return a > b;
}

const emptyRate = (rate: number, per: number): boolean => rate === 0 || per === 0;

/** Raise `target` to the policy's rate when it is unset or allows fewer requests (Tyk's ApplyRateLimits). */
function raiseRate(target: { rate: number; per: number }, policy: Policy): void {
  const rate = n(policy.rate);
  const per = n(policy.per);
  if (emptyRate(rate, per)) return;
  if (emptyRate(target.rate, target.per) || target.per / target.rate > per / rate) {
    target.rate = rate;
    target.per = per;
  }
}

function union(a: string[] | undefined, b: string[] | undefined): string[] {
  const out = [...(a ?? [])];
  for (const v of b ?? []) if (!out.includes(v)) out.push(v);
  return out;
}

/** Two policies' rights to one API: versions and allowed URLs (methods per URL) merged. */
function mergeAccess(current: AccessDefinition | undefined, next: AccessDefinition): AccessDefinition {
  const urls = (next.allowed_urls ?? []).map((u) => ({ ...u, methods: [...(u.methods ?? [])] }));
  if (!current) return { ...next, allowed_urls: urls };
  const merged = (current.allowed_urls ?? []).map((u) => ({ ...u, methods: [...(u.methods ?? [])] }));
  for (const u of urls) {
    const same = merged.find((m) => m.url === u.url);
    if (same) same.methods = union(same.methods, u.methods);
    else merged.push(u);
  }
  return { ...current, versions: union(current.versions, next.versions), allowed_urls: merged };
}

/**
 * Apply the policies a session names (Tyk's policy.Service.Apply, without per-API limits and
 * GraphQL complexity): for each policy, its `partitions` say what it sets — quota, rate_limit,
 * acl — and a policy with none set sets all. Rates and quotas take the most generous value of the
 * policies, access rights are the union, tags and meta_data are added. A policy of another org
 * than the API's is refused, as in Tyk, and so is an unknown id (when it is the only one).
 * Returns a new session; the stored one is not changed.
 */
export function applyPolicies(stored: SessionState, policies: PolicySet, apiOrgId: string): PolicyOutcome {
  const ids = policyIdsOf(stored);
  if (ids.length === 0) return { ok: true, session: stored };
  const session: SessionState = { ...stored, meta_data: { ...(stored.meta_data ?? {}) } };
  // Partitioned values start from zero, so that a policy can lower what the key had (Tyk's ClearSession).
  for (const id of ids) {
    const p = policies.get(id);
    if (!p) continue;
    const parts = p.partitions ?? {};
    const all = !(parts.quota || parts.rate_limit || parts.acl || parts.complexity);
    if (parts.quota || all) session.quota_max = 0;
    if (parts.rate_limit || all) {
      session.rate = 0;
      session.per = 0;
    }
  }
  const root = { rate: n(session.rate), per: n(session.per) };
  let quotaMax = n(session.quota_max);
  let quotaRenewalRate = n(session.quota_renewal_rate);
  const rights: Record<string, AccessDefinition> = {};
  const limits = new Map<string, Limit>();
  const didAcl = new Set<string>();
  const didQuota = new Set<string>();
  const didRate = new Set<string>();
  const tags = new Set<string>();
  for (const id of ids) {
    const policy = policies.get(id);
    if (!policy) {
      if (ids.length > 1) continue; // Tyk skips an unknown one among several
      return { ok: false, reason: `policy not found: "${id}"` };
    }
    if ((policy.org_id ?? '') !== apiOrgId) {
      return { ok: false, reason: `policy "${id}" belongs to org "${policy.org_id ?? ''}", not the API's org "${apiOrgId}"` };
    }
    const parts = policy.partitions ?? {};
    const partitioned = Boolean(parts.quota || parts.rate_limit || parts.acl || parts.complexity);
    const entries = Object.entries(policy.access_rights ?? {});
    for (const [apiId, access] of entries) {
      const limit = limits.get(apiId) ?? { rate: 0, per: 0, quotaMax: 0, quotaRenewalRate: 0 };
      if (!partitioned || parts.acl) {
        didAcl.add(apiId);
        rights[apiId] = mergeAccess(rights[apiId], access as AccessDefinition);
      }
      if (!partitioned || parts.quota) {
        didQuota.add(apiId);
        const max = n(policy.quota_max);
        if (greaterQuota(max, limit.quotaMax)) {
          limit.quotaMax = max;
          if (greaterQuota(max, quotaMax)) quotaMax = max;
        }
        const renewal = n(policy.quota_renewal_rate);
        if (renewal > limit.quotaRenewalRate) {
          limit.quotaRenewalRate = renewal;
          if (renewal > quotaRenewalRate) quotaRenewalRate = renewal;
        }
      }
      if (!partitioned || parts.rate_limit) {
        didRate.add(apiId);
        raiseRate(limit, policy);
        raiseRate(root, policy);
      }
      limits.set(apiId, limit);
    }
    if (entries.length === 0) {
      // A "master" policy, for every API: it sets the key's own values.
      if (!partitioned || parts.rate_limit) {
        root.rate = n(policy.rate);
        root.per = n(policy.per);
      }
      if (!partitioned || parts.quota) {
        quotaMax = n(policy.quota_max);
        quotaRenewalRate = n(policy.quota_renewal_rate);
      }
    }
    if (!session.hmac_enabled && policy.hmac_enabled) session.hmac_enabled = true;
    if (policy.is_inactive) session.is_inactive = true;
    for (const tag of policy.tags ?? []) tags.add(tag);
    Object.assign(session.meta_data!, policy.meta_data ?? {});
  }
  for (const tag of stored.tags ?? []) tags.add(tag);
  session.tags = [...tags];
  for (const apiId of Object.keys(rights)) if (!didAcl.has(apiId)) delete rights[apiId];
  // One API set by every partition: the key's own values are that API's (Tyk's legacy root vars).
  if (didQuota.size === 1 && didRate.size === 1) {
    const only = limits.get([...didRate][0]!);
    if (only) {
      root.rate = only.rate;
      root.per = only.per;
      quotaMax = only.quotaMax;
      quotaRenewalRate = only.quotaRenewalRate;
    }
  }
  session.rate = root.rate;
  session.per = root.per;
  session.quota_max = quotaMax;
  session.quota_renewal_rate = quotaRenewalRate;
  if (didAcl.size > 0) session.access_rights = rights;
  if (Object.keys(rights).length === 0) return { ok: false, reason: `no access rights from policies ${ids.map((i) => `"${i}"`).join(', ')} (Tyk: "key has no valid policies to be applied")` };
  return { ok: true, session };
}

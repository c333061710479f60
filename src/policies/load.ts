import { lstat, readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { ConfigError } from '../config/config-error';
import { isInside, realPathOf } from '../config/confined-path';
import type { GatewayConfig } from '../config/gateway-config';
import { policyIdProblem } from '../config/safe-names';
import { compileSchema } from '../config/schema-validator';
import { type Policy, PolicySchema, type PolicySet } from './policy';

/** A policy file larger than this is refused unread (a policy is a few KB; this bounds memory). */
export const MAX_POLICY_FILE_BYTES = 4 * 1024 * 1024;

const validatePolicy = compileSchema<Omit<Policy, 'id'>>(PolicySchema);

/** Read one policy file: a regular file, within the size limit, JSON. Errors name the file. */
async function readPolicyFile(file: string, key: string): Promise<unknown> {
  let info;
  try {
    info = await stat(file);
  } catch (err) {
    throw new ConfigError(`${key}: ${file}: cannot read the policy file: ${(err as Error).message}`);
  }
  if (!info.isFile()) throw new ConfigError(`${key}: ${file}: is not a regular file`);
  if (info.size > MAX_POLICY_FILE_BYTES) throw new ConfigError(`${key}: ${file}: is ${info.size} bytes, over the ${MAX_POLICY_FILE_BYTES}-byte limit for a policy file`);
  const text = await readFile(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`${key}: ${file}: invalid JSON: ${(err as Error).message}`);
  }
}

/** Check one policy; `fallbackId` is its map key (policy_record_name) or undefined (policy_path). */
function checkPolicy(raw: unknown, file: string, fallbackId: string | undefined): Policy {
  const where = (id: string | undefined) => `${file}${id !== undefined ? ` (policy ${JSON.stringify(id)})` : ''}`;
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`${where(fallbackId)}: a policy must be a JSON object`);
  const body = raw as Record<string, unknown>;
  const named = typeof body.id === 'string' && body.id !== '' ? body.id : typeof body._id === 'string' && body._id !== '' ? body._id : undefined;
  const id = named ?? fallbackId;
  if (id === undefined) throw new ConfigError(`${where(undefined)}: id: is required (the id sessions name in apply_policies)`);
  const problem = policyIdProblem(id);
  if (problem) throw new ConfigError(`${file}: policy id ${JSON.stringify(id)} ${problem}`);
  const result = validatePolicy(structuredClone(body));
  if (!result.ok) throw new ConfigError(`${where(id)}: ${result.errors.join('; ')}`);
  const policy = { ...result.value, id } as Policy;
  const partitions = policy.partitions ?? {};
  if (partitions.per_api) throw new ConfigError(`${where(id)}: partitions.per_api: per-API limits are not supported by isogate`);
  return policy;
}

function add(set: Map<string, Policy>, policy: Policy, file: string, from: Map<string, string>): void {
  const earlier = from.get(policy.id);
  if (earlier !== undefined) throw new ConfigError(`${file} (policy ${JSON.stringify(policy.id)}): the id is already defined in ${earlier}`);
  set.set(policy.id, policy);
  from.set(policy.id, file);
}

/** `policies.policy_record_name`: one JSON object of policies keyed by id, as Tyk's file source. */
async function loadRecordFile(file: string): Promise<Map<string, Policy>> {
  const raw = await readPolicyFile(file, 'policies.policy_record_name');
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new ConfigError(`policies.policy_record_name: ${file}: must be a JSON object of policies keyed by id`);
  const set = new Map<string, Policy>();
  const from = new Map<string, string>();
  for (const [key, value] of Object.entries(raw)) add(set, checkPolicy(value, file, key), file, from);
  return set;
}

/**
 * `policies.policy_path`: a folder of `*.json` files, one policy each. Every file must really lie
 * in the folder (a symlink out of it is refused): the folder is the operator's, its files alone.
 */
async function loadFolder(dir: string): Promise<Map<string, Policy>> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => n.endsWith('.json')).sort();
  } catch (err) {
    throw new ConfigError(`policies.policy_path: ${dir}: cannot read the folder: ${(err as Error).message}`);
  }
  const root = await realPathOf(dir);
  const set = new Map<string, Policy>();
  const from = new Map<string, string>();
  for (const name of names) {
    const file = join(dir, name);
    const real = await realPathOf(file);
    if (!isInside(root, real)) throw new ConfigError(`policies.policy_path: ${file}: resolves to ${real}, outside the policy folder (${root})`);
    if ((await lstat(file)).isDirectory()) continue;
    add(set, checkPolicy(await readPolicyFile(file, 'policies.policy_path'), file, undefined), file, from);
  }
  return set;
}

/**
 * The gateway's policies from its config: none unless `policies.policy_source` is "file". A bad
 * file, policy or id is a ConfigError naming the file and the policy id.
 */
export async function loadPolicies(config: GatewayConfig): Promise<PolicySet> {
  const section = config.policies;
  if (!section || section.policy_source !== 'file') return new Map();
  const set = new Map<string, Policy>();
  const from = new Map<string, string>();
  if (section.policy_record_name) for (const p of (await loadRecordFile(section.policy_record_name)).values()) add(set, p, section.policy_record_name, from);
  if (section.policy_path) for (const p of (await loadFolder(section.policy_path)).values()) add(set, p, section.policy_path, from);
  return set;
}

import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });

/**
 * A key with a `default` need not be in the file: ajv fills it in. TypeBox lists every non-Optional
 * key as required (so the derived type has it, as it does after defaults), so defaulted keys are
 * taken out of `required` here, on a copy.
 */
function defaultsOptional(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(defaultsOptional);
  if (typeof schema !== 'object' || schema === null) return schema;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(schema)) out[k] = defaultsOptional(v);
  const props = out.properties as Record<string, { default?: unknown }> | undefined;
  if (props && Array.isArray(out.required)) out.required = (out.required as string[]).filter((k) => props[k]?.default === undefined);
  return out;
}

/** Compile once; each call reports every violation as `key.path: message` lines. */
export function compileSchema<T>(schema: object): (value: unknown) => { ok: true; value: T } | { ok: false; errors: string[] } {
  const validate: ValidateFunction = ajv.compile(defaultsOptional(schema) as object);
  return (value) => {
    if (validate(value)) return { ok: true, value: value as T };
    return { ok: false, errors: (validate.errors ?? []).map(describe) };
  };
}

function describe(error: ErrorObject): string {
  const path = error.instancePath.slice(1).replace(/\//g, '.');
  if (error.keyword === 'required') {
    const missing = (error.params as { missingProperty: string }).missingProperty;
    return `${path ? `${path}.` : ''}${missing}: is required`;
  }
  if (error.keyword === 'enum') {
    const allowed = (error.params as { allowedValues: unknown[] }).allowedValues;
    return `${path || '(root)'}: must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  }
  return `${path || '(root)'}: ${error.message ?? 'is invalid'}`;
}

/** Keys present in `value` that the schema does not describe (reported as warnings, as Tyk does). */
export function unknownKeys(value: Record<string, unknown>, schema: { properties?: Record<string, unknown> }): string[] {
  const known = new Set(Object.keys(schema.properties ?? {}));
  return Object.keys(value).filter((k) => !known.has(k));
}

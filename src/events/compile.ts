import { ConfigPath } from './config-error';
import type { EventHandlersSection } from './event';
import type { EventHandler, HandlerDeps, HandlerFactory, HandlerScope } from './handler';
import { coprocessHandlerFactory } from './handlers/coprocess-handler';
import { jsvmHandlerFactory } from './handlers/jsvm-handler';
import { logHandlerFactory } from './handlers/log-handler';
import { webhookHandlerFactory } from './handlers/webhook-handler';
import { MetaReader } from './meta-reader';

// Widened to `unknown` config: each entry only ever sees the config its own parse produced.
const FACTORIES: ReadonlyMap<string, HandlerFactory<unknown>> = new Map(
  [logHandlerFactory, webhookHandlerFactory, coprocessHandlerFactory, jsvmHandlerFactory].map((f) => [
    f.kind,
    f as HandlerFactory<unknown>,
  ]),
);

/** Known to Tyk but not implemented here; named so the error says why rather than "unknown". */
const UNSUPPORTED: Readonly<Record<string, string>> = {};

/** One validated handler entry, not yet bound to a bus. */
export interface ParsedHandler {
  eventType: string;
  /** e.g. `event_handlers.events.AuthFailure[0]`, for messages about this entry later on. */
  key: string;
  factory: HandlerFactory<unknown>;
  config: unknown;
}

export interface ValidateOptions {
  /** An API's section must be able to reach its plugin driver if it uses cp_dynamic_handler. */
  hasDispatcher?: boolean;
  /** … and its JSVM if it uses eh_dynamic_handler. */
  hasJsvm?: boolean;
}

/**
 * Checks a whole `event_handlers` section and returns its enabled entries. Throws
 * EventConfigError naming the API and the exact key. Pure: config loaders and the management
 * API can call it to reject a definition before anything is swapped.
 */
export function parseEventHandlers(
  section: EventHandlersSection | undefined,
  scope: HandlerScope,
  options: ValidateOptions = {},
): ParsedHandler[] {
  const root = new ConfigPath(scope.apiId, 'event_handlers');
  if (section === undefined || section === null) return [];
  if (!MetaReader.isPlainObject(section)) throw root.error('must be an object');
  const events: unknown = section.events;
  if (events === undefined || events === null) return [];
  const eventsPath = root.child('events');
  if (!MetaReader.isPlainObject(events)) throw eventsPath.error('must be an object of event name to handler list');

  const parsed: ParsedHandler[] = [];
  for (const [eventType, entries] of Object.entries(events)) {
    const listPath = eventsPath.child(eventType);
    if (eventType.trim() === '') throw listPath.error('event name must not be empty');
    if (entries === null) continue;
    if (!Array.isArray(entries)) throw listPath.error('must be a list of {handler_name, handler_meta}');
    for (const [index, entry] of entries.entries()) {
      const handler = parseEntry(entry, listPath.child(index), scope, options);
      if (handler !== undefined) parsed.push({ eventType, ...handler });
    }
  }
  return parsed;
}

function parseEntry(
  entry: unknown,
  at: ConfigPath,
  scope: HandlerScope,
  options: ValidateOptions,
): Omit<ParsedHandler, 'eventType'> | undefined {
  if (!MetaReader.isPlainObject(entry)) throw at.error('must be an object {handler_name, handler_meta}');
  const namePath = at.child('handler_name');
  const name = entry.handler_name;
  if (typeof name !== 'string' || name === '') throw namePath.error('is required and must be a string');
  const factory = FACTORIES.get(name);
  if (factory === undefined) {
    throw namePath.error(
      UNSUPPORTED[name] !== undefined
        ? `"${name}" ${UNSUPPORTED[name]}`
        : `unknown handler "${name}" (expected one of ${[...FACTORIES.keys()].join(', ')})`,
    );
  }
  if (factory.apiOnly && scope.apiId === undefined) {
    throw namePath.error(`"${name}" can only be used in an API definition's event_handlers`);
  }
  const metaPath = at.child('handler_meta');
  const rawMeta: unknown = entry.handler_meta ?? {};
  if (!MetaReader.isPlainObject(rawMeta)) throw metaPath.error('must be an object');
  const meta = new MetaReader(rawMeta, metaPath);
  // Disabled entries are skipped before their meta is read, as Tyk does: a half-written handler
  // can be parked with `disabled: true` without blocking the API.
  if (meta.boolean('disabled') === true) return undefined;
  if (factory.apiOnly && factory.needs !== 'jsvm' && options.hasDispatcher === false) {
    throw namePath.error(`"${name}" needs the API to have custom_middleware with a plugin driver`);
  }
  if (factory.needs === 'jsvm' && options.hasJsvm === false) {
    throw namePath.error(`"${name}" needs the API's JSVM, which it does not have (is enable_jsvm false?)`);
  }
  return { key: at.path, factory, config: factory.parse(meta) };
}

/** Compiled handlers of one section, by event type. */
export type HandlerTable = ReadonlyMap<string, readonly EventHandler[]>;

export function buildHandlerTable(parsed: readonly ParsedHandler[], deps: HandlerDeps): Map<string, EventHandler[]> {
  const table = new Map<string, EventHandler[]>();
  for (const entry of parsed) {
    const handler = entry.factory.create(entry.config, deps);
    const list = table.get(entry.eventType);
    if (list === undefined) table.set(entry.eventType, [handler]);
    else list.push(handler);
  }
  return table;
}

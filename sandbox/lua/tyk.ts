// Tyk's Lua helpers (TykTechnologies/tyk coprocess/lua names them): `tyk.req` edits the request
// the running hook was given, `tyk.session` is its session and `tyk.header` its request headers.
// Written as JS functions rather than a Lua prelude: fengari's parser would add milliseconds to
// every Lua API's bring-up.
import { lua_createtable, lua_pushcfunction, lua_setfield, lua_setglobal, type lua_CFunction } from './fengari';
import { luaL_checkany } from './fengari';
import { type lua_State, raise } from './stack';
import { getField, lengthOf, name, newTable, NIL, numberValue, push, setField, type Table, tableOf, tableValue, type TValue, Type, typeOf, valueAt } from './tables';

/** The call in progress, set by the adapter around every hook call. */
export interface CurrentCall {
  request: TValue;
}

function requestOf(L: lua_State, call: CurrentCall): Table {
  if (typeOf(call.request) !== Type.table) return raise(L, 'tyk.req is only available while a hook runs');
  return tableOf(call.request);
}

/** request[field] as a table, made (and stored) if the hook removed it. */
function tableField(L: lua_State, request: Table, field: string): Table {
  const value = getField(request, name(L, field));
  if (typeOf(value) === Type.table) return tableOf(value);
  const t = newTable(L);
  setField(L, request, name(L, field).value, tableValue(t));
  return t;
}

function headerKey(L: lua_State, arg: number): TValue {
  luaL_checkany(L, arg);
  const key = valueAt(L, arg);
  if (typeOf(key) !== Type.string && typeOf(key) !== Type.number) return raise(L, `bad argument #${arg} (a header name must be a string)`);
  return key;
}

function helpers(call: CurrentCall): Record<string, lua_CFunction> {
  return {
    set_header: (L) => {
      const request = requestOf(L, call);
      const key = headerKey(L, 1);
      setField(L, tableField(L, request, 'set_headers'), key, valueAt(L, 2));
      return 0;
    },
    clear_header: (L) => {
      const request = requestOf(L, call);
      const key = headerKey(L, 1);
      setField(L, tableField(L, request, 'set_headers'), key, NIL);
      const deletes = tableField(L, request, 'delete_headers');
      setField(L, deletes, numberValue(lengthOf(deletes) + 1), key);
      return 0;
    },
    get_headers: (L) => {
      push(L, getField(requestOf(L, call), name(L, 'headers')));
      return 1;
    },
  };
}

/** Install the global `tyk` table; returns it, for the adapter to set tyk.session / tyk.header. */
export function installTyk(L: lua_State, call: CurrentCall): Table {
  lua_createtable(L, 0, 3);
  lua_createtable(L, 0, 3);
  for (const [field, fn] of Object.entries(helpers(call))) {
    lua_pushcfunction(L, fn);
    lua_setfield(L, -2, field);
  }
  lua_setfield(L, -2, 'req');
  const tyk = tableOf(valueAt(L, -1));
  lua_setglobal(L, 'tyk');
  return tyk;
}

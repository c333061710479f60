// fengari's API, imported once: the bundler wraps every ES import of a CommonJS module in a copy
// of its exports, which for lua.js's ~170 functions, once per importing file, was a measurable
// share of each Lua isolate's bring-up. The adapter's files import fengari from here.
export * from 'fengari/src/lua.js';
export * from 'fengari/src/lauxlib.js';

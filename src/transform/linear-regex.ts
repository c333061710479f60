import v8 from 'node:v8';
import { ConfigError } from '../config/config-error';

/**
 * Regular expressions from API definitions (`match_pattern`, trigger `match_rx`) run on request
 * data, so a backtracking engine would let one request with a crafted path freeze the event loop
 * (`(a+)+$`). Tyk uses Go's RE2, which runs in linear time and has no backreferences or
 * lookaround. V8 has a non-backtracking engine with the same guarantee and the same limits (the
 * `l` flag): a pattern is compiled with it at load, so one that needs backtracking is refused
 * with its key named. It is an interpreter, though, about ten times slower than V8's compiled
 * engine on ordinary patterns, so requests are matched with the ordinary engine and V8 switches
 * a match over to the linear one after excessive backtracking (50,000 backtracks by default):
 * same result, bounded time. The fallback is process-wide, so it also bounds regular
 * expressions in plugin code.
 */
v8.setFlagsFromString('--enable-experimental-regexp-engine');
v8.setFlagsFromString('--enable-experimental-regexp-engine-on-excessive-backtracks');

/** Go syntax that JavaScript spells differently: `(?P<name>` is `(?<name>`. */
function fromGoSyntax(pattern: string): string {
  return pattern.replace(/\(\?P</g, '(?<');
}

/** Compile `pattern` for bounded-time matching; a ConfigError naming `where` if it cannot be. */
export function compileLinear(pattern: string, where: string): RegExp {
  let source = fromGoSyntax(pattern);
  let flags = 'l';
  // Go's leading (?s) lets `.` match newlines; JavaScript's `s` flag does the same.
  const inline = /^\(\?([is]+)\)/.exec(source);
  if (inline) {
    if (inline[1]!.includes('i')) throw new ConfigError(`${where}: ${JSON.stringify(pattern)}: case-insensitive (?i) patterns are not supported; spell both cases ([Aa])`);
    flags += 's';
    source = source.slice(inline[0].length);
  }
  try {
    new RegExp(source, flags); // proves the linear engine can run it, should backtracking get out of hand
    return new RegExp(source, flags.replace('l', ''));
  } catch (err) {
    const reason = (err as Error).message.includes('linear time')
      ? 'needs backtracking (a backreference or lookaround), which Tyk\'s RE2 does not support either'
      : (err as Error).message;
    throw new ConfigError(`${where}: ${JSON.stringify(pattern)} is not a usable regular expression: ${reason}`);
  }
}

import v8 from 'node:v8';
import { ConfigError } from '../config/config-error';

/**
 * Regular expressions from API definitions (`match_pattern`, trigger `match_rx`) run on request
 * data, so a backtracking engine would let one request with a crafted path freeze the event loop
 * (`(a+)+$`). Tyk uses Go's RE2, which runs in linear time and has no backreferences or
 * lookaround; V8's non-backtracking engine (the `l` flag) has the same guarantee and the same
 * limits, so a pattern Go accepts runs here in linear time, and one needing backtracking is
 * refused at load. The flag only adds the `l` flag; no other RegExp changes engine.
 */
v8.setFlagsFromString('--enable-experimental-regexp-engine');

/** Go syntax that JavaScript spells differently: `(?P<name>` is `(?<name>`. */
function fromGoSyntax(pattern: string): string {
  return pattern.replace(/\(\?P</g, '(?<');
}

/** Compile `pattern` for linear-time matching; a ConfigError naming `where` if it cannot be. */
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
    return new RegExp(source, flags);
  } catch (err) {
    const reason = (err as Error).message.includes('linear time')
      ? 'needs backtracking (a backreference or lookaround), which Tyk\'s RE2 does not support either'
      : (err as Error).message;
    throw new ConfigError(`${where}: ${JSON.stringify(pattern)} is not a usable regular expression: ${reason}`);
  }
}

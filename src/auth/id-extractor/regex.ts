import { ExtractError } from './errors';

/**
 * Tyk compiles `regex_expression` with Go's RE2; we use JavaScript's RegExp (no `u` flag, so
 * RE2-style escapes of any punctuation such as `\-` keep working). The common syntax (classes,
 * quantifiers, groups, anchors, alternation) means the same in both. RE2's leading inline flags
 * `(?i)`, `(?m)`, `(?s)` are turned into RegExp flags because JavaScript rejects them; other
 * RE2-only syntax (`(?P<name>…)`, `\A`, `\z`, `(?U)`) is reported as an invalid expression.
 * JavaScript additionally accepts look-around and back-references, which RE2 would refuse.
 */
export function compileRegex(expression: string): RegExp {
  let source = expression;
  let flags = 'g';
  const leading = /^\(\?([a-zA-Z]+)\)/.exec(source);
  if (leading) {
    for (const flag of leading[1]) {
      if (flag !== 'i' && flag !== 'm' && flag !== 's') {
        throw new SyntaxError(`inline flag "${flag}" has no JavaScript equivalent`);
      }
      if (!flags.includes(flag)) flags += flag;
    }
    source = source.slice(leading[0].length);
  }
  return new RegExp(source, flags);
}

/**
 * Tyk's FindAllString: the list of whole, non-overlapping matches; capture groups play no part.
 * `String.prototype.match` with a global RegExp resets `lastIndex`, so one compiled RegExp is
 * safe to share between requests.
 */
export function regexMatcher(regex: RegExp, matchIndex: number): (text: string) => string {
  return (text) => {
    const matches = text.match(regex);
    const count = matches?.length ?? 0;
    if (!matches || matchIndex >= count) {
      throw new ExtractError(`regex found ${count} match(es); regex_match_index is ${matchIndex}`);
    }
    const match = matches[matchIndex];
    if (!match) throw new ExtractError('regex match is empty');
    return match;
  };
}

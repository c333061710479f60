import { DOMParser } from '@xmldom/xmldom';
import { ExtractError } from './errors';

/**
 * The part of the `xpath` package we use. Its bundled typings leave out `parse` (the
 * compile-once entry point) and reference the DOM lib, which would leak browser globals into
 * the whole host program; this narrow view avoids both.
 */
interface XPathValue {
  stringValue(): string;
}
interface CompiledXPath {
  evaluate(options: { node: unknown }): XPathValue;
}
const xpath = require('xpath') as { parse(expression: string): CompiledXPath };

/**
 * Every diagnostic aborts the parse, warnings included: they flag malformed markup (unquoted
 * attributes and the like) that Go's encoding/xml, behind Tyk's xmlpath, rejects. A custom
 * `onError` also keeps xmldom from writing to the console. xmldom rethrows what `onError` throws
 * as its own ParseError without the original, so the diagnostic is kept aside (parsing is
 * synchronous, one module-level slot is enough).
 */
let diagnostic = '';
const parser = new DOMParser({
  onError(level, message) {
    diagnostic = `${level}: ${message}`;
    throw new Error(diagnostic);
  },
});

function parseXml(text: string): unknown {
  diagnostic = '';
  try {
    return parser.parseFromString(text, 'text/xml');
  } catch (err) {
    throw new ExtractError(`not well-formed XML: ${diagnostic || firstLine(err)}`);
  }
}

function firstLine(err: unknown): string {
  return String(err instanceof Error ? err.message : err).split('\n', 1)[0];
}

/**
 * Compiles the expression and evaluates it once against a tiny document, so that problems the
 * parser cannot see (an unbound namespace prefix, a wrong function arity) fail at API load.
 * Throws a plain Error with the reason; the caller names the config key.
 */
export function compileXPath(expression: string): CompiledXPath {
  const compiled = xpath.parse(expression);
  compiled.evaluate({ node: parser.parseFromString('<isogate/>', 'text/xml') });
  return compiled;
}

/**
 * The XPath string value of the result: for a node set, that of its first node in document
 * order, as Tyk's xmlpath `String` does. An empty string (no match, or an empty element) is an
 * error: it would put every such client under one shared identity.
 */
export function xpathMatcher(compiled: CompiledXPath): (text: string) => string {
  return (text) => {
    const doc = parseXml(text);
    let value: string;
    try {
      value = compiled.evaluate({ node: doc }).stringValue();
    } catch (err) {
      throw new ExtractError(`xpath evaluation failed: ${firstLine(err)}`);
    }
    if (!value) throw new ExtractError('xpath found no match or an empty value');
    return value;
  };
}

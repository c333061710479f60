import { SourceMap } from 'node:module';

/**
 * Source maps of compiled middleware (TypeScript, config/typescript.ts), by the file name the
 * isolate knows the code by. Stacks and positions from the isolate are translated host-side
 * when they are logged or reported; the isolate never sees a map. One map per file name: a
 * recompiled file replaces its map.
 */
const maps = new Map<string, SourceMap>();

export function rememberSourceMap(filename: string, mapJson: string): void {
  maps.set(filename, new SourceMap(JSON.parse(mapJson)));
}

/** The original 1-based line and column of a 1-based position in compiled `filename`, if mapped. */
export function originalPosition(filename: string, line: number, column: number): { line: number; column: number } | undefined {
  const map = maps.get(filename);
  if (!map) return undefined;
  const entry = map.findEntry(line - 1, column - 1) as { originalLine?: number; originalColumn?: number };
  if (entry.originalLine === undefined || entry.originalColumn === undefined) return undefined;
  return { line: entry.originalLine + 1, column: entry.originalColumn + 1 };
}

const escape = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** `text` (a stack or message) with every `file:line:col` of a mapped file given in source lines. */
export function mapPositions(text: string): string {
  if (maps.size === 0 || !text) return text;
  let out = text;
  for (const filename of maps.keys()) {
    if (!out.includes(filename)) continue;
    out = out.replace(new RegExp(`${escape(filename)}:(\\d+):(\\d+)`, 'g'), (whole, l: string, c: string) => {
      const pos = originalPosition(filename, Number(l), Number(c));
      return pos ? `${filename}:${pos.line}:${pos.column}` : whole;
    });
  }
  return out;
}

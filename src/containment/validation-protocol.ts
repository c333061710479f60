// What the worker and its validation child (validation-child.ts) say to each other: one JSON
// line per message; jobs on the child's stdin, reports on its fd 3.
import type { SandboxRuntime } from '../coprocess/drivers/isolate/runtime-script';

/** The serialisable part of IsolateDispatcherOptions that validation needs. */
export interface ValidationOptions {
  apiId: string;
  orgId?: string;
  sources: { filename: string; code: string }[];
  hookNames?: string[];
  memoryLimitMb?: number;
  hookTimeoutMs?: number;
  startupTimeoutMs?: number;
  mode?: string;
  driver?: string;
  /** The sandbox runtime bundle (a plain object: the Lua driver's, or absent for the JS one). */
  runtime?: SandboxRuntime;
  allowWasm?: boolean;
  logLinesPerS?: number;
  eventsPerS?: number;
  kvQuota?: { maxKeys: number; maxBytes: number };
}

export interface ValidationJob {
  id: number;
  options: ValidationOptions;
}

export type ValidationReport =
  /** About to run this file's top-level code. Written synchronously: it survives an abort. */
  | { id: number; file: string }
  | { id: number; ok: true }
  | { id: number; error: { message: string; file?: string; line?: number; column?: number } };

/** The child's report channel (stdio index). */
export const REPORT_FD = 3;

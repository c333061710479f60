// Work that must run inside an entry, under its ivm timeout. An asynchronous host call's answer
// (sandbox/host.ts callHostAsync) arrives in a task isolated-vm runs outside any entry, where no
// timeout applies: a hook continuing there with `for (;;) {}` would spin unchecked. So the answer
// is only queued there, the host is asked for an entry, and the entry settles the promise: the
// hook's continuation then runs in that entry's microtasks, timed like any hook code.
//
// What runs in that untimed task touches nothing user code can reach: no array methods or index
// writes (a setter on Array.prototype would run), only own properties of object literals and
// functions taken at load.
import { onEntry } from './call-scope';
import { sendWake } from './host';

interface Node {
  task: () => void;
  next: Node | null;
}

const wake = sendWake;
const apply = Reflect.apply;
const then = Promise.prototype.then;
let head: Node | null = null;
let tail: Node | null = null;

/** Run `task` at the start of the next entry (and ask the host for one). */
export function queueEntryTask(task: () => void): void {
  const node: Node = { task, next: null };
  if (tail) tail.next = node;
  else head = node;
  tail = node;
  wake();
}

/**
 * When `promise` (from callHostAsync) settles, `onSettled` runs at the start of the next entry
 * with its value or its rejection reason. The built-in `then` is used, whatever user code did to
 * Promise.prototype since.
 */
export function settleInEntry<T>(promise: Promise<T>, onSettled: (ok: boolean, value: unknown) => void): void {
  apply(then, promise, [
    (value: T) => queueEntryTask(() => onSettled(true, value)),
    (reason: unknown) => queueEntryTask(() => onSettled(false, reason)),
  ]);
}

/** Runs as each entry begins (sandbox/call-scope.ts beginEntry, called by sandbox/batch.ts). */
function runEntryTasks(): void {
  let node = head;
  head = tail = null;
  while (node) {
    node.task();
    node = node.next;
  }
}

onEntry(runEntryTasks);

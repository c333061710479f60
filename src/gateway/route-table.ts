/**
 * Listen path → API, compiled once per reload. Routes are bucketed by their first path segment
 * and sorted longest-first within a bucket, so a lookup touches a handful of candidates even
 * with a thousand APIs; the longest matching listen path wins.
 */
export interface Routable {
  /** Ends with "/". */
  readonly listenPath: string;
}

export class RouteTable<T extends Routable> {
  private readonly buckets = new Map<string, T[]>();
  private readonly root: T[] = [];

  constructor(readonly routes: readonly T[]) {
    for (const route of routes) {
      const segment = firstSegment(route.listenPath);
      if (segment === '') {
        this.root.push(route);
        continue;
      }
      let bucket = this.buckets.get(segment);
      if (!bucket) this.buckets.set(segment, (bucket = []));
      bucket.push(route);
    }
    const longestFirst = (a: T, b: T) => b.listenPath.length - a.listenPath.length;
    for (const bucket of this.buckets.values()) bucket.sort(longestFirst);
    this.root.sort(longestFirst);
  }

  /** `path` is the request path without the query string. */
  match(path: string): T | undefined {
    const bucket = this.buckets.get(firstSegment(path));
    if (bucket) {
      for (const route of bucket) if (matches(route.listenPath, path)) return route;
    }
    for (const route of this.root) if (matches(route.listenPath, path)) return route;
    return undefined;
  }
}

function firstSegment(path: string): string {
  const end = path.indexOf('/', 1);
  return end < 0 ? path.slice(1) : path.slice(1, end);
}

/** `/foo/` serves `/foo`, `/foo/` and everything below; `/` serves everything. */
function matches(listenPath: string, path: string): boolean {
  if (path.startsWith(listenPath)) return true;
  return path.length === listenPath.length - 1 && listenPath.startsWith(path);
}

// Regions are hierarchical ids from knowledge/directory.yaml: `qinghe` (county),
// `qinghe.dongzhen` (township), `qinghe.dongzhen.lijiacun` (village). Whoever covers a
// region covers everything below it.

const REGION_ID = /^[a-z0-9_-]+(\.[a-z0-9_-]+)*$/;

export function isRegionId(id: string): boolean {
  return REGION_ID.test(id);
}

/** The region and its ancestors, most specific first: a.b.c → [a.b.c, a.b, a]. */
export function regionLineage(region: string): string[] {
  const parts = region.split(".");
  const out: string[] = [];
  for (let i = parts.length; i > 0; i--) out.push(parts.slice(0, i).join("."));
  return out;
}

/**
 * Whether `scope` covers `region`. A referral whose region is unknown (null) is covered only
 * by top-level (county-wide) scopes: nobody narrower can be assumed to serve it.
 */
export function regionCovers(scope: string, region: string | null): boolean {
  if (region === null) return !scope.includes(".");
  return region === scope || region.startsWith(scope + ".");
}

export function anyRegionCovers(scopes: readonly string[], region: string | null): boolean {
  return scopes.some((s) => regionCovers(s, region));
}

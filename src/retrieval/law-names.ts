// Resolving the law name a resident wrote (民法典, 《劳动合同法》, 老板违反劳动合同法, 婚姻法)
// to the full titles held in the index.
import type { AliasEntry } from "./knowledge-files.ts";

const PRC = "中华人民共和国";

/** Canonical key: no brackets or spaces, half-width parentheses as full-width, lower case. */
export function lawKey(name: string): string {
  return name
    .replace(/[《》〈〉<>"“”\s]/g, "")
    .replace(/\(/g, "（")
    .replace(/\)/g, "）")
    .toLowerCase();
}

export interface LawResolution {
  /** Full titles in the index the name refers to. */
  titles: string[];
  /** The part of the written name that matched (the longest known suffix). */
  matched: string;
  via: "title" | "short-title" | "alias";
  alias?: AliasEntry;
}

export class LawNameResolver {
  private readonly byKey = new Map<string, { titles: Set<string>; via: LawResolution["via"]; alias?: AliasEntry }>();
  private readonly maxKeyLen: number;

  constructor(titles: Iterable<string>, aliases: AliasEntry[] = []) {
    const direct = new Map<string, Set<string>>();
    const put = (key: string, title: string, via: LawResolution["via"], alias?: AliasEntry) => {
      if (key === "") return;
      const cur = this.byKey.get(key);
      // A title in the index outranks a short title, which outranks an alias.
      const rank = { title: 0, "short-title": 1, alias: 2 } as const;
      if (!cur || rank[via] < rank[cur.via]) this.byKey.set(key, { titles: new Set([title]), via, alias });
      else if (cur.via === via) cur.titles.add(title);
    };
    for (const t of titles) {
      const k = lawKey(t);
      put(k, t, "title");
      if (!direct.has(k)) direct.set(k, new Set());
      direct.get(k)!.add(t);
      if (k.startsWith(PRC) && k.length > PRC.length) put(k.slice(PRC.length), t, "short-title");
    }
    for (const a of aliases) {
      // The alias's target may itself be written short (劳动合同法 vs 中华人民共和国劳动合同法).
      const target = this.lookupExact(lawKey(a.law));
      if (!target) continue;
      for (const al of a.alias) for (const t of target.titles) put(lawKey(al), t, "alias", a);
    }
    this.maxKeyLen = Math.max(0, ...[...this.byKey.keys()].map((k) => k.length));
  }

  private lookupExact(key: string) {
    return this.byKey.get(key) ?? (key.startsWith(PRC) ? undefined : this.byKey.get(PRC + key));
  }

  /**
   * Longest known suffix of the written name: "老板违反劳动合同法" -> 劳动合同法.
   * Returns null when no suffix of two or more characters names a known law.
   */
  resolve(written: string): LawResolution | null {
    const key = lawKey(written);
    for (let i = Math.max(0, key.length - this.maxKeyLen); i <= key.length - 2; i++) {
      const hit = this.lookupExact(key.slice(i));
      if (hit) return { titles: [...hit.titles], matched: key.slice(i), via: hit.via, alias: hit.alias };
    }
    return null;
  }
}

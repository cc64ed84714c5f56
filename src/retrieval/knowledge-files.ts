// Loaders for the retrieval knowledge files written by the knowledge team:
// knowledge/terms.yaml (lay -> legal vocabulary, typos) and knowledge/law-aliases.yaml.
import { existsSync, readFileSync } from "node:fs";
import { parse } from "yaml";
import { z } from "zod";

const strList = z.array(z.union([z.string(), z.number()]).transform(String)).default([]);

export const TermEntrySchema = z.object({ lay: strList, legal: strList });
export const TypoSchema = z.object({ wrong: z.string(), right: z.string() });
export const TermsFileSchema = z.object({
  terms: z.array(TermEntrySchema).default([]),
  typos: z.array(TypoSchema).default([]),
});
export type TermEntry = z.infer<typeof TermEntrySchema>;
export type Typo = z.infer<typeof TypoSchema>;
export type TermsFile = z.infer<typeof TermsFileSchema>;

export const AliasEntrySchema = z.object({
  alias: z.array(z.string()).min(1),
  law: z.string(),
  /** 民法典 book (编) that took over a repealed law, e.g. 婚姻家庭编. */
  book: z.string().optional(),
  note: z.string().optional(),
});
export const AliasesFileSchema = z.object({ aliases: z.array(AliasEntrySchema).default([]) });
export type AliasEntry = z.infer<typeof AliasEntrySchema>;

export function parseTerms(text: string): TermsFile {
  return TermsFileSchema.parse(parse(text) ?? {});
}

export function parseAliases(text: string): AliasEntry[] {
  return AliasesFileSchema.parse(parse(text) ?? {}).aliases;
}

/** Reads terms.yaml; an absent file is an empty list (the index works without it). */
export function loadTermsFile(path: string): TermsFile {
  return existsSync(path) ? parseTerms(readFileSync(path, "utf8")) : { terms: [], typos: [] };
}

export function loadAliasesFile(path: string): AliasEntry[] {
  return existsSync(path) ? parseAliases(readFileSync(path, "utf8")) : [];
}

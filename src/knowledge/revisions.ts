// Laws revised after the statute collection was taken (knowledge/law-revisions.yaml). An
// imported text older than the revision is marked 已修改 at ingestion, so it is never quoted
// as current law; uploading the new text (dated on or after the revision) makes it current.
import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import YAML from "yaml";
import { z } from "zod";

const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "use YYYY-MM-DD");

const RevisionFile = z.object({
  revisions: z
    .array(
      z.object({
        law: z.string().trim().min(1),
        passed: isoDate,
        in_force: isoDate,
        changes: z.string().trim().min(1),
        source: z.string().trim().min(1),
      }),
    )
    .default([]),
});

/** One law revised after the collection's snapshot. */
export interface LawRevision {
  law: string;
  /** Date passed or promulgated (YYYY-MM-DD). */
  passed: string;
  /** Date in force (YYYY-MM-DD). */
  inForce: string;
  changes: string;
  source: string;
}

/** The list in `knowledgeDir/law-revisions.yaml`; [] when the file is absent. Throws on a malformed file. */
export function loadLawRevisions(knowledgeDir: string): LawRevision[] {
  const file = join(knowledgeDir, "law-revisions.yaml");
  if (!existsSync(file)) return [];
  const parsed = RevisionFile.safeParse(YAML.parse(readFileSync(file, "utf8")));
  if (!parsed.success) throw new Error(`${file}: ${parsed.error.issues[0]?.path.join(".")}: ${parsed.error.issues[0]?.message}`);
  return parsed.data.revisions.map((r) => ({ law: r.law, passed: r.passed, inForce: r.in_force, changes: r.changes, source: r.source }));
}

/**
 * The revision that makes a text of `law` dated `textDate` out of date, or null. A text with
 * no date is taken as older: the collection's undated copies predate any listed revision.
 */
export function revisionSuperseding(revisions: readonly LawRevision[], law: string, textDate: string | null): LawRevision | null {
  const r = revisions.find((x) => x.law === law);
  if (!r) return null;
  return !textDate || textDate < r.passed ? r : null;
}

// Coarse topic of a message (labour, marriage, land, ...) from keyword lists in
// knowledge/topics.yaml. Substring matching rather than word segmentation: residents' text is
// short, unpunctuated and misspelt, and a keyword list is what the bureau can maintain.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";

/** A topic of legal questions (labour, marriage, land …) with the words that point to it. */
export interface TopicDef {
  id: string;
  label: string;
  keywords: string[];
}

/** How strongly a question points to one topic. */
export interface TopicScore {
  topic: string;
  score: number;
}

const TopicSchema = z.object({
  id: z.string().min(1),
  label: z.string().default(""),
  keywords: z.array(z.union([z.string(), z.number()]).transform(String)).default([]),
});
const FileSchema = z.union([z.object({ topics: z.array(TopicSchema) }), z.array(TopicSchema)]);

/** Validate parsed YAML (either `{topics: [...]}` or a bare list). Throws with a clear message. */
export function parseTopics(data: unknown): TopicDef[] {
  const parsed = FileSchema.parse(data);
  const list = Array.isArray(parsed) ? parsed : parsed.topics;
  return list.map((t) => ({ id: t.id, label: t.label, keywords: t.keywords.filter((k) => k.trim().length > 0) }));
}

/** Reads the topics from knowledge/topics.yaml; throws when the file is malformed. */
export function loadTopics(knowledgeDir: string): TopicDef[] {
  return parseTopics(parseYaml(readFileSync(join(knowledgeDir, "topics.yaml"), "utf8")));
}

// 'other' carries generic words (咨询, 怎么办): it only wins when nothing specific matched.
const GENERIC_WEIGHT = 0.3;

/**
 * Score every topic whose keywords occur in the text, best first. A keyword's weight grows with
 * its length (四字 terms are more specific than 两字 ones); a keyword inside a longer matched
 * keyword of the same topic is not counted twice. Scores are squashed into (0, 1).
 */
export function classifyTopic(text: string, topics: readonly TopicDef[]): TopicScore[] {
  const t = (typeof text === "string" ? text : "").toLowerCase();
  const out: TopicScore[] = [];
  for (const topic of topics) {
    const hits = topic.keywords.map((k) => k.toLowerCase()).filter((k) => k && t.includes(k));
    const distinct = hits.filter((k, i) => hits.indexOf(k) === i && !hits.some((o) => o !== k && o.includes(k)));
    let raw = distinct.reduce((sum, k) => sum + Math.min(Array.from(k).length, 5) / 2, 0);
    if (topic.id === "other") raw *= GENERIC_WEIGHT;
    if (raw > 0) out.push({ topic: topic.id, score: Number((raw / (raw + 2)).toFixed(4)) });
  }
  out.sort((a, b) => b.score - a.score || a.topic.localeCompare(b.topic));
  return out.length > 0 ? out : [{ topic: "other", score: 0 }];
}

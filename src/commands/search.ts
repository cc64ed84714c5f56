import type { Config } from "../config.ts";
import { openKnowledge } from "../knowledge/base.ts";
import { validityLabel } from "../knowledge/status.ts";

export async function runSearch(config: Config, question: string, k: number, json: boolean): Promise<number> {
  const kb = await openKnowledge(config);
  try {
    if (kb.articleCount === 0) {
      console.error("知识库里还没有法律条文：先运行 lawdesk ingest <法规目录>");
      return 1;
    }
    const t = performance.now();
    const hits = await kb.searchArticles(question, k);
    const ms = performance.now() - t;
    if (json) {
      for (const h of hits) {
        console.log(JSON.stringify({ id: h.article.id, law: h.article.law, article: h.article.article, status: h.article.status, score: h.score, exact: h.exact }));
      }
      return 0;
    }
    hits.forEach((h, i) => {
      const a = h.article;
      const text = a.text.replace(/\n/g, " ");
      console.log(`${String(i + 1).padStart(2)}. 《${a.law}》${a.article} [${validityLabel(a)}] score ${h.score.toFixed(3)}${h.exact ? " (exact)" : ""}`);
      console.log(`    ${text.length > 90 ? text.slice(0, 90) + "…" : text}`);
    });
    const guides = kb.searchGuides(question, 3);
    if (guides.length > 0) console.log(`guides: ${guides.map((g) => `${g.guide.id} (${g.score.toFixed(2)})`).join(", ")}`);
    console.log(`${hits.length} articles in ${ms.toFixed(1)} ms`);
    return 0;
  } finally {
    await kb.close();
  }
}

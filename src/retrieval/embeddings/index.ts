// Embedding back-ends behind langchain's Embeddings interface. The default is the
// offline LSA model fitted on the indexed corpus (no download, no network); bureaus
// that run an embedding model can point at an OpenAI-compatible endpoint or Ollama.
import type { Embeddings } from "@langchain/core/embeddings";
import { OpenAIEmbeddings } from "@langchain/openai";
import { OllamaEmbeddings } from "@langchain/ollama";

export { LsaEmbeddings, type LsaOptions } from "./lsa.ts";

export type EmbeddingsConfig =
  | { provider: "lsa" }
  | {
      provider: "openai";
      model: string;
      /** e.g. http://127.0.0.1:8000/v1 for a local vLLM / text-embeddings-inference server */
      baseURL?: string;
      apiKey?: string;
      dimensions?: number;
      batchSize?: number;
    }
  | { provider: "ollama"; model: string; baseUrl?: string };

/**
 * A remote embeddings client for the configured provider, or null for "lsa": the LSA
 * model is fitted while the index is built (SearchIndex.build), not created here.
 * Construction does not touch the network.
 */
export function createEmbeddings(config: EmbeddingsConfig): Embeddings | null {
  switch (config.provider) {
    case "lsa":
      return null;
    case "openai":
      return new OpenAIEmbeddings({
        model: config.model,
        // Local OpenAI-compatible servers usually ignore the key but the client requires one.
        apiKey: config.apiKey ?? process.env.OPENAI_API_KEY ?? "not-needed",
        dimensions: config.dimensions,
        batchSize: config.batchSize ?? 64,
        configuration: config.baseURL ? { baseURL: config.baseURL } : undefined,
      });
    case "ollama":
      return new OllamaEmbeddings({ model: config.model, baseUrl: config.baseUrl ?? "http://127.0.0.1:11434" });
  }
}

/** Stable description of an embeddings back-end, stored with an index to detect mismatches on load. */
export function describeEmbeddings(config: EmbeddingsConfig): string {
  switch (config.provider) {
    case "lsa":
      return "lsa";
    case "openai":
      return `openai:${config.baseURL ?? "default"}:${config.model}:${config.dimensions ?? ""}`;
    case "ollama":
      return `ollama:${config.baseUrl ?? "default"}:${config.model}`;
  }
}

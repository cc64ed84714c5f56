// What a soak run is given and what it reports (scripts/soak.ts).

export type SoakStore = "sqlite" | "postgres";

export interface SoakOptions {
  minutes: number;
  store?: SoakStore;
  /** Concurrent resident loops. */
  concurrency?: number;
  /** Concurrent lawyer loops, each its own lawyer account (default: half the residents). */
  lawyers?: number;
  /** Hard cap on requests, whatever the time left (default: none). */
  maxRequests?: number;
  /** Print progress every this many seconds (0: quiet). */
  progressSeconds?: number;
  /** PostgreSQL server for store "postgres" (default: see pgUrl()). */
  databaseUrl?: string;
}

export interface LatencyStats {
  count: number;
  errors: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

export interface RssReport {
  start: number;
  end: number;
  peak: number;
  /** (end - start) / start, percent. */
  growthPct: number;
  /** Median RSS over the second quarter and over the last quarter of the run (MB). */
  q2Median: number;
  q4Median: number;
  /** (q4Median - q2Median) / q2Median, percent. */
  lateGrowthPct: number;
  /** Lowest RSS in the second and in the last quarter (the floor between garbage collections), and its growth in percent. */
  q2Min: number;
  q4Min: number;
  floorGrowthPct: number;
  /** Least-squares slope over the second half of the run, MB per minute. */
  lateSlopeMbPerMin: number;
  verdict: "bounded" | "growing" | "unclear" | "inconclusive";
  samples: { s: number; mb: number }[];
}

export interface SoakChecks {
  /** Soak messages the server acknowledged (200) / rows in inbound_messages. */
  messagesPosted: number;
  inboundRows: number;
  inboundDone: number;
  /** Exactly one bot message and one outbox row for the message. */
  exactlyOneReply: number;
  /** The thread was with a lawyer: the message went to them, no bot answer (by design). */
  forwardedToLawyer: number;
  missingReply: number;
  duplicateReply: number;
  escalationsAsked: number;
  escalationsRecorded: number;
  /** Ordinary questions the pipeline escalated on its own (low confidence): not an error. */
  escalatedUnasked: number;
  /** Lawyer replies accepted (200) / lawyer rows in thread_messages / outbox lawyer_reply by status. */
  lawyerRepliesAccepted: number;
  lawyerRows: number;
  lawyerOutbox: Record<string, number>;
  /** Each accepted reply looked up in its resident's /api/chat/history: seen once, missing, more than once. */
  repliesSeenOnce: number;
  repliesMissing: number;
  repliesDuplicated: number;
  /** Replies whose resident could not be identified from the referral's history. */
  repliesUnmapped: number;
  referralsByStatus: Record<string, number>;
  /** Human-readable failures (empty when all checks pass). */
  failures: string[];
}

export interface SoakReport {
  store: SoakStore;
  machine: { cpu: string; cores: number; memoryGb: number; node: string; os: string };
  minutes: number;
  seconds: number;
  requests: number;
  stoppedByRequestCap: boolean;
  throughputPerSecond: number;
  concurrency: { residents: number; lawyers: number };
  latencyMs: Record<string, LatencyStats>;
  /** Claims lost to another lawyer (409): expected with several lawyers, not errors. */
  claimConflicts: number;
  rssMb: RssReport;
  /** 转人工 escalations, questions the bot escalated itself, lawyer replies and closures accepted. */
  referrals: { escalated: number; botEscalated: number; replied: number; closed: number };
  checks: SoakChecks;
}

export interface SoakRun {
  reports: SoakReport[];
  skipped: { store: SoakStore; reason: string }[];
}

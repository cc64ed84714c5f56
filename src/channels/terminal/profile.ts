// The terminal (`lawdesk chat`) and the evaluation interface (`lawdesk answer`): the answer
// is printed as the call returns.

import type { ChannelProfile } from "../../conversation/index.ts";

/** The terminal chat (`lawdesk chat`): answered within the call, long replies allowed. */
export const cliProfile: ChannelProfile = { name: "cli", repliesInRequest: true, format: { maxChars: 4000 } };

/** Batch answering for evaluation (`lawdesk answer`): answered within the call, the longest replies. */
export const evalProfile: ChannelProfile = { name: "eval", repliesInRequest: true, format: { maxChars: 6000 } };

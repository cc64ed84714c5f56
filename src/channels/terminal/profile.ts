// The terminal (`lawdesk chat`) and the evaluation interface (`lawdesk answer`): the answer
// is printed as the call returns.

import type { ChannelProfile } from "../../conversation/index.ts";

export const cliProfile: ChannelProfile = { name: "cli", repliesInRequest: true, format: { maxChars: 4000 } };

export const evalProfile: ChannelProfile = { name: "eval", repliesInRequest: true, format: { maxChars: 6000 } };

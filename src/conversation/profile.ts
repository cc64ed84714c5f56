// What the core needs to know about a channel, declared by the channel itself: its name,
// whether it replies within the request that brought the message, and the format its
// replies take (for the pipeline). The core holds no list of platforms; app.ts hands it the
// profiles of the channels that exist.

import type { ChannelName } from "../channel-message.ts";
import type { ReplyFormat } from "../pipeline/types.ts";

export interface ChannelProfile {
  name: ChannelName;
  /**
   * The reply goes back in the response to the same request (web chat, terminal): a live
   * message's reply is recorded as sent. Other channels' replies wait in the outbox.
   */
  repliesInRequest: boolean;
  /** Size limit, statutes folded or on request, and the wording that offers more. */
  format: ReplyFormat;
  /** The format of an answer posted in a group, where the channel has groups. */
  groupFormat?: ReplyFormat;
}

/** A channel nobody declared: replies wait in the outbox, plain text of a modest size. */
export const UNDECLARED_FORMAT: ReplyFormat = { maxChars: 4000 };

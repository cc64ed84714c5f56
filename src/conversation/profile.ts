// What the core needs to know about a channel, declared by the channel itself: its name,
// whether it replies within the request that brought the message, the format its replies
// take (for the pipeline), and how it lays out an answer the pipeline returns in parts. The
// core holds no list of platforms; app.ts hands it the profiles of the channels that exist.
//
// Layouts come from the shared renderer (pipeline/render.ts), re-exported here because a
// channel reaches the pipeline only through the core.

import type { ChannelName } from "../channel-message.ts";
import { offersOf, renderText } from "../pipeline/render.ts";
import type { AnswerOffer, AnswerParts, PipelineResult, ReplyFormat } from "../pipeline/types.ts";

/** An answer as a channel sends it: the text, and the offers of more it shows as buttons under it. */
export interface RenderedAnswer {
  text: string;
  /** Empty when the text itself says how to ask for more ("回复【详细】…"). */
  buttons: AnswerOffer[];
}

/**
 * Lays out an answer's parts for one channel, within the format's limits. The core keeps and
 * sends `text`; the outbox holds text only, so a channel that shows `buttons` renders the
 * stored parts again when it sends (the same function gives the same buttons).
 */
export type AnswerRenderer = (parts: AnswerParts, format: ReplyFormat) => RenderedAnswer;

/** The shared layout, and every channel's default: plain text that says how to ask for more. */
export const renderAsText: AnswerRenderer = (parts, format) => ({ text: renderText(parts, format), buttons: [] });

/**
 * For a channel with buttons: the text without the offers of more (【详细】, and 【法条】 where
 * statutes are not folded out), which come back as `buttons`.
 *
 * @example
 * export const telegramProfile: ChannelProfile = { name: "telegram", repliesInRequest: false, format: { maxChars: 4096 }, render: renderWithButtons };
 */
export const renderWithButtons: AnswerRenderer = (parts, format) => ({ text: renderText(parts, format, "buttons"), buttons: offersOf(parts, format) });

/** A channel as it declares itself to the core (each channel folder has its `profile.ts`). */
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
  /** How an answer in parts is laid out; default `renderAsText`. */
  render?: AnswerRenderer;
}

/** A channel nobody declared: replies wait in the outbox, plain text of a modest size. */
export const UNDECLARED_FORMAT: ReplyFormat = { maxChars: 4000 };

/** The format a channel declared for a message, a group's own when it was posted in a group. */
export function formatOf(profile: ChannelProfile | undefined, inGroup: boolean): ReplyFormat {
  if (!profile) return UNDECLARED_FORMAT;
  return (inGroup ? profile.groupFormat : undefined) ?? profile.format;
}

/**
 * The pipeline's result as the channel shows it: an answer in parts gets the channel's own
 * layout; fixed replies (a notice, a page of 【详细】) are text already and stay as they are.
 */
export function presentAnswer(profile: ChannelProfile | undefined, result: PipelineResult, format: ReplyFormat): PipelineResult {
  return result.parts ? { ...result, text: renderAnswer(profile, result.parts, format).text } : result;
}

/** An answer's parts in the channel's layout (the shared text layout when it declares none). */
export function renderAnswer(profile: ChannelProfile | undefined, parts: AnswerParts, format: ReplyFormat): RenderedAnswer {
  return (profile?.render ?? renderAsText)(parts, format);
}

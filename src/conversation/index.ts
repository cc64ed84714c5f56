// The conversation core, the one way into lawdesk for every channel: a resident's message is
// recorded, answered once (in order within its thread) and everything it leads to is written
// together; what people send (lawyers' replies, rating requests) leaves by the same port.
//
//   const core = new ConversationCore({ store, pipeline, log, channels: CHANNEL_PROFILES });
//   core.onReply((row) => dispatcher.flush(row.channel));     // the one outbox sender
//   const ticket = await core.accept(message);                // recorded: safe to acknowledge
//   await core.people.reply(threadId, lawyerId, { text });    // a duty lawyer's reply

export { ConversationCore, ClaimedElsewhereError, type ConversationCoreOptions } from "./core.ts";
export type { Outcome, OwnedMessageEvent, RatingEvent, Receipt, Ticket } from "./outcome.ts";
export { assessGroupQuestion, type GroupDecision, type SensitiveReason, type Sensitivity } from "./group-privacy.ts";
export { PeopleDesk, type PeopleDeskOptions, type PersonReply } from "./people.ts";
export { formatOf, presentAnswer, renderAnswer, renderAsText, renderWithButtons, UNDECLARED_FORMAT, type AnswerRenderer, type ChannelProfile, type RenderedAnswer } from "./profile.ts";
export { SharedSenderLimiter, SlidingWindowLimiter, type SenderLimiter } from "./rate-limit.ts";

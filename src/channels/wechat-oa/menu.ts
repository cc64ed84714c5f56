// Custom-menu clicks (CLICK/VIEW EventKey) mapped to what the resident meant: a question
// for the assistant, or a fixed reply. GUIDE_<guide id> asks the guide's own title, so a
// bureau can add a menu entry for any service guide without a code change.

import { WELCOME } from "./replies.ts";

/** What a menu click does: ask a question as if typed, or reply with a fixed text. */
export type MenuAction =
  /** Handled as if the resident had typed this text. */
  | { kind: "ask"; text: string }
  /** Answered at once with this text. */
  | { kind: "reply"; text: string };

/** The menu keys the official account ships with, by click key. */
export const DEFAULT_MENU: Readonly<Record<string, MenuAction>> = {
  HUMAN: { kind: "ask", text: "转人工" },
  LEGAL_AID: { kind: "ask", text: "我想申请法律援助，需要什么条件，怎么申请？" },
  MEDIATION: { kind: "ask", text: "邻里纠纷怎么申请人民调解？" },
  NOTARY: { kind: "ask", text: "办公证需要带什么材料，去哪里办？" },
  HOTLINE: { kind: "ask", text: "12348热线是做什么的？" },
  HELP: { kind: "reply", text: WELCOME },
};

const GUIDE_PREFIX = "GUIDE_";

/** Resolves an EventKey; null when the key means nothing to us (the click is acknowledged silently). */
export function menuAction(
  key: string,
  extra: Readonly<Record<string, MenuAction>>,
  guideTitle: (guideId: string) => string | null,
): MenuAction | null {
  const configured = Object.hasOwn(extra, key) ? extra[key] : Object.hasOwn(DEFAULT_MENU, key) ? DEFAULT_MENU[key] : undefined;
  if (configured) return configured;
  if (key.startsWith(GUIDE_PREFIX)) {
    const title = guideTitle(key.slice(GUIDE_PREFIX.length));
    if (title) return { kind: "ask", text: title };
  }
  return null;
}

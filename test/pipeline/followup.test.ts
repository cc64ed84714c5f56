// Follow-ups: what a message sent after an answer asks (followup.ts), and the few sentences
// that answer it from the guide's fields and the service directory (followup-answer.ts).
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { PROJECT_ROOT } from "../../src/config.ts";
import { ServiceDirectory } from "../../src/knowledge/directory.ts";
import type { Guide } from "../../src/knowledge/types.ts";
import { composeFollowUp, relevantSentences, sentencesOf } from "../../src/pipeline/followup-answer.ts";
import { bodiesAsked } from "../../src/pipeline/followup-places.ts";
import { asksOf, readFollowUp, withoutOpener } from "../../src/pipeline/followup.ts";
import { loadTopics } from "../../src/pipeline/topic.ts";

const knowledge = join(PROJECT_ROOT, "knowledge");
const topics = loadTopics(knowledge);
const directory = ServiceDirectory.load(knowledge);
const wageThread = { lastTopic: "labour", lastGuideId: "wage-arrears", guideTopics: ["labour"] };
const divorceThread = { lastTopic: "marriage", lastGuideId: "divorce-litigation", guideTopics: ["marriage"] };

const guide = (over: Partial<Guide>): Guide => ({
  id: "g",
  title: "示例指引",
  topics: ["labour"],
  questions: [],
  legalBasis: [{ law: "中华人民共和国劳动争议调解仲裁法", article: "第二十七条" }],
  steps: ["先收集证据。", "到劳动人事争议仲裁院申请仲裁，由劳动合同履行地或者用人单位所在地的仲裁委员会管辖。", "对裁决不服的十五日内起诉。"],
  materials: ["身份证", "工资条"],
  where: ["labour_arbitration", "legal_aid"],
  fees: "劳动仲裁不收费。",
  timeLimits: "仲裁时效一年，从知道权利被侵害之日起算；仲裁院应在受理后四十五日内结案。",
  alwaysEscalate: false,
  body: "单位拖欠工资的，按应付金额百分之五十以上百分之一百以下加付赔偿金。判决生效后对方拒不履行的，可以申请强制执行。",
  source: "test",
  ...over,
});

describe("what a follow-up asks", () => {
  it.each([
    ["那我应该去哪里申请仲裁", "where"],
    ["去那里申请", "where"],
    ["找哪个部门", "where"],
    ["要带啥材料", "materials"],
    ["要花钱不", "cost"],
    ["打官司要多少钱", "cost"],
    ["要多久出结果", "duration"],
    ["过了一年还能申请吗", "deadline"],
    ["多久之内要申请", "deadline"],
    ["能赔多少钱", "amount"],
    ["能要回来多少", "amount"],
    ["他要是不拆呢", "refuse"],
    ["判了还不给咋办", "refuse"],
    ["这个咋弄", "how"],
    ["依据哪条法律", "law"],
    ["那要请律师吗", "detail"],
    ["要准备哪些证据", "evidence"],
    ["他不承认 我又没打欠条", "evidence"],
    ["微信聊天记录算数不", "evidence"],
    ["我没钱请律师咋办", "legal_aid"],
    ["能申请法律援助不", "legal_aid"],
    ["有免费的律师吗", "legal_aid"],
    ["俺自己修了能让他出钱不", "detail"],
  ])("%s → %s", (text, ask) => {
    expect(asksOf(text)[0]).toBe(ask);
  });

  it("keeps at most two asks, dropping the generic 'how' when something specific is asked", () => {
    expect(asksOf("去哪里申请，要带什么，怎么办")).toEqual(["where", "materials"]);
    expect(asksOf("要多久之内申请")).not.toContain("duration");
  });

  it("reads a short question after an answer as a follow-up about the same matter", () => {
    expect(readFollowUp("那我应该去哪里申请仲裁", wageThread, topics)).toEqual({ kind: "follow_up", asks: ["where"] });
    expect(readFollowUp("那我应该去哪里申请？", divorceThread, topics)).toEqual({ kind: "follow_up", asks: ["where"] });
    // Naming the thread's own matter again is still the same matter.
    expect(readFollowUp("欠的工资去哪里要", wageThread, topics)).toMatchObject({ kind: "follow_up" });
  });

  it("reads a longer message that points back at the matter, or asks for legal aid, as a follow-up", () => {
    const insurance = { lastTopic: "contract", lastGuideId: "insurance-claim-refused", guideTopics: ["contract"] };
    expect(readFollowUp("保单都买了三年了，他们还能拿没告知这个理由拒赔吗？", insurance, topics)).toMatchObject({ kind: "follow_up" });
    expect(readFollowUp("俺们好几个工友都这情况 听说有啥法律援助 俺们够格不", wageThread, topics)).toEqual({ kind: "follow_up", asks: ["legal_aid"] });
    // Legal aid is asked about the matter already told, even when the message names it again.
    const injury = { lastTopic: "personal_injury", lastGuideId: "personal-injury", guideTopics: ["personal_injury"] };
    expect(readFollowUp("请律师太贵了，我这种交通事故能申请法律援助吗？", injury, topics)).toMatchObject({ kind: "follow_up", asks: ["legal_aid"] });
    // Without a back-reference a long message is a question of its own.
    expect(readFollowUp("我在厂里干了三年每天加班到很晚老板从来不给加班费怎么办呢", wageThread, topics).kind).not.toBe("follow_up");
  });

  it("words of another topic that the matter's own guides speak of are the same matter", () => {
    const traffic = { lastTopic: "traffic", lastGuideId: "traffic-accident-steps", guideTopics: ["traffic"] };
    expect(readFollowUp("误工费是咋算的", traffic, topics)).toMatchObject({ kind: "new_topic" });
    expect(readFollowUp("误工费是咋算的", { ...traffic, matterText: () => "赔偿项目包括医疗费、护理费、误工费" }, topics)).toEqual({ kind: "follow_up", asks: ["amount"] });
    // The matter's words cost a guide search: asked for only when another topic's words appear.
    let searched = 0;
    const counting = { ...traffic, matterText: () => (searched++, "赔偿项目包括误工费") };
    expect(readFollowUp("去哪里处理", counting, topics)).toEqual({ kind: "follow_up", asks: ["where"] });
    expect(searched).toBe(0);
    readFollowUp("误工费是咋算的", counting, topics);
    expect(searched).toBe(1);
  });

  it("reads a message that brings a matter of its own as a new question", () => {
    expect(readFollowUp("对了 我家宅基地被邻居占了 这个咋弄", wageThread, topics)).toEqual({ kind: "new_topic", topic: "land" });
    expect(readFollowUp("另外问一下，借给朋友的钱不还怎么办", divorceThread, topics)).toMatchObject({ kind: "new_topic" });
    expect(withoutOpener("对了 我家宅基地被邻居占了 这个咋弄")).toBe("我家宅基地被邻居占了 这个咋弄");
  });

  it("is no follow-up without an answer before it, or when nothing is asked", () => {
    expect(readFollowUp("去哪里申请仲裁", { lastTopic: null }, topics)).toEqual({ kind: "none" });
    // "转人工" first, then the question itself: there is no matter to follow up on.
    expect(readFollowUp("买猪崽交了定金，卖猪的不给猪崽也不退定金咋办", { lastTopic: "other" }, topics)).toEqual({ kind: "none" });
    expect(readFollowUp("我在厂里干了三年，每天加班到晚上十点，老板从来不给加班费，工资也一直压着", wageThread, topics).kind).not.toBe("follow_up");
  });
});

describe("answering a follow-up from the guide's fields", () => {
  const src = (question: string, g: Guide | null = guide({})) => ({ guide: g, directory, region: null, question });

  it("where: the body asked for, with address and phone from the directory, and the rule on which one", () => {
    const text = composeFollowUp(["where"], src("那我应该去哪里申请仲裁"))!;
    expect(text).toContain("清河县劳动人事争议仲裁院");
    expect(text).toMatch(/电话0000-\d+/);
    expect(text).toContain("履行地");
    expect([...text].length).toBeLessThan(400);
  });

  it("where: a court when suing is asked, even when the guide lists other places first", () => {
    expect(bodiesAsked("去哪里起诉", guide({}))).toEqual(["court"]);
    expect(composeFollowUp(["where"], src("去哪里起诉"))).toContain("人民法院");
    // 仲裁 is labour arbitration for a labour guide, commercial arbitration otherwise.
    expect(bodiesAsked("去哪里仲裁", guide({ topics: ["contract"], where: ["court"] }))).toEqual(["arbitration"]);
  });

  it("materials, cost and time come from their own fields", () => {
    expect(composeFollowUp(["materials"], src("要带什么"))).toContain("身份证；工资条");
    expect(composeFollowUp(["cost"], src("要钱吗"))).toContain("劳动仲裁不收费");
    expect(composeFollowUp(["deadline"], src("有时效吗"))).toContain("仲裁时效一年");
    const duration = composeFollowUp(["duration"], src("要多久"))!;
    expect(duration).toContain("四十五日内结案");
    expect(duration).not.toContain("仲裁时效");
  });

  it("amount and refusal: the guide's own sentences, and enforcement when the other side will not comply", () => {
    expect(composeFollowUp(["amount"], src("能多要多少"))).toContain("百分之五十");
    expect(composeFollowUp(["refuse"], src("他还是不给呢"))).toContain("强制执行");
    expect(composeFollowUp(["refuse"], src("他还是不给呢", guide({ body: "先协商。" })))).toContain("强制执行");
  });

  it("evidence: the guide's proofs without the filing papers, what counts as proof, and who must produce it", () => {
    const text = composeFollowUp(["evidence"], { ...src("聊天记录算证据吗"), lastQuestion: "老板欠我工资不给" })!;
    expect(text).toContain("工资条");
    expect(text).not.toMatch(/材料：[^。]*身份证/);
    expect(text).toContain("电子数据");
    expect(text).toContain("《劳动争议调解仲裁法》第六条");
    // Not a labour matter: the employer's duty to produce its records is not said.
    const loan = composeFollowUp(["evidence"], { ...src("没有借条怎么办", guide({ topics: ["debt"], materials: ["转账记录"] })), lastQuestion: "朋友借钱不还" })!;
    expect(loan).toContain("转账记录");
    expect(loan).not.toContain("劳动争议");
  });

  it("legal aid: the legal-aid centre of the region, the rule that fits the matter, what to bring", () => {
    const aid = guide({ id: "legal-aid", topics: ["legal_aid"], where: ["legal_aid"], body: "遭受家暴的受害人，申请法律援助不受经济困难条件限制（第三十二条）。进城务工人员讨薪的免于核查经济状况（第四十二条）。" });
    const text = composeFollowUp(["legal_aid"], { ...src("请不起律师咋办", guide({ title: "遭受家暴怎么办", body: "先协商。", steps: [] })), legalAid: aid, lastQuestion: "老公打我 我想离婚" })!;
    expect(text).toContain("法律援助");
    expect(text).toMatch(/法律援助中心/);
    expect(text).toContain("家暴");
    expect(text).toContain("身份证");
    expect(text).not.toContain("花多少钱"); // legal aid already says what it costs
  });

  it("offers what else can be asked, never the first answer's steps and statutes again", () => {
    const text = composeFollowUp(["cost"], src("要钱吗"))!;
    expect(text).toContain("还想知道去哪里办、要带什么、有没有时间限制");
    expect(text).not.toContain("下一步怎么做");
  });

  it("an open question the guide does not speak to is left to the caller", () => {
    expect(composeFollowUp(["detail"], src("火星上能打官司吗", guide({})))).toBeNull();
    expect(composeFollowUp(["detail"], src("裁决不服还能起诉吗"))).toContain("十五日内起诉");
  });

  it("splits guide prose into sentences and ranks them by the ask and the question's words", () => {
    expect(sentencesOf("第一句话在这里。第二句话；第三句话在这里！")).toEqual(["第一句话在这里。", "第三句话在这里！"]);
    expect(relevantSentences(guide({}), "refuse", "不履行怎么办", 1)[0]).toContain("强制执行");
  });
});

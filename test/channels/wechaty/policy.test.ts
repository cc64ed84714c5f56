import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, expect, it } from "vitest";
import { GroupRegionMap, readMapping } from "../../../src/channels/wechaty/group-regions.ts";
import { addressing, privateInvitation } from "../../../src/channels/groups/index.ts";
import { assessGroupQuestion } from "../../../src/conversation/index.ts";
import { parseThreadKey, roomThreadKey } from "../../../src/channels/wechaty/thread-keys.ts";
import { PROJECT_ROOT } from "../../../src/config.ts";
import { ServiceDirectory } from "../../../src/knowledge/directory.ts";
import { loadTopics } from "../../../src/pipeline/topic.ts";

const KNOWLEDGE = resolve(PROJECT_ROOT, "knowledge");
const topics = loadTopics(KNOWLEDGE);
const directory = ServiceDirectory.load(KNOWLEDGE);
const TRIGGERS = ["问:", "问：", "法律咨询"];

describe("addressing in a group", () => {
  it("takes an @-mention or a leading trigger, and strips them", () => {
    expect(addressing("@法律助手 工资不给咋办", { mentioned: true, mentionText: "工资不给咋办", triggers: TRIGGERS })).toEqual({ addressed: true, text: "工资不给咋办", via: "mention" });
    expect(addressing("问：工资不给咋办", { mentioned: false, mentionText: "", triggers: TRIGGERS })).toEqual({ addressed: true, text: "工资不给咋办", via: "trigger" });
    expect(addressing("法律咨询，宅基地被占了", { mentioned: false, mentionText: "", triggers: TRIGGERS }).text).toBe("宅基地被占了");
    expect(addressing("我也想问：几点开会", { mentioned: false, mentionText: "", triggers: TRIGGERS }).addressed).toBe(false);
    expect(addressing("老板欠我工资不给怎么办", { mentioned: false, mentionText: "", triggers: TRIGGERS }).addressed).toBe(false);
  });
});

describe("personal matters", () => {
  const cases: [string, boolean, string[]][] = [
    ["老板欠我三个月工资不给怎么办", false, []],
    ["土地承包合同到期了村里不续怎么办", false, []],
    ["我要离婚，孩子归谁", true, ["personal_topic"]],
    ["我老公打我怎么办", true, ["emergency"]],
    ["朋友借钱不还，有借条，怎么要回来", true, ["personal_topic"]],
    ["借给邻居王大牛五万块钱不还", true, ["named_person"]],
    ["工资的事，我电话13812345678你打给我", true, ["personal_data"]],
    ["我家住东镇李家村三组12号，宅基地被占了", true, ["address"]],
  ];
  it.each(cases)("%s → sensitive %s", (text, sensitive, reasons) => {
    const s = assessGroupQuestion(text, topics);
    expect(s.sensitive).toBe(sensitive);
    for (const r of reasons) expect(s.reasons).toContain(r);
  });

  it("invites to a private chat in general words, with safety numbers for violence", () => {
    const text = privateInvitation(assessGroupQuestion("我老公打我怎么办", topics));
    expect(text).toContain("私聊");
    expect(text).toContain("110");
    expect(text).not.toContain("老公打我");
  });
});

describe("group → region mapping", () => {
  it("maps by room id first, then by group name, and drops unknown regions", () => {
    const map = GroupRegionMap.fromMapping({ "r1@chatroom": "qinghe.dongzhen.lijiacun", 东镇法律服务群: "qinghe.dongzhen", 外县群: "elsewhere.town" }, directory);
    expect(map.resolve("r1@chatroom", "东镇法律服务群")).toBe("qinghe.dongzhen.lijiacun");
    expect(map.resolve("r2@chatroom", "东镇法律服务群")).toBe("qinghe.dongzhen");
    expect(map.resolve("r3@chatroom", "外县群")).toBeNull();
    expect(map.rejected).toEqual([{ key: "外县群", region: "elsewhere.town" }]);
  });

  it("reads the setting inline (YAML or JSON), from a file, or from knowledge/groups.yaml", () => {
    const dir = mkdtempSync(join(tmpdir(), "lawdesk-groups-"));
    try {
      expect(readMapping({ WECHATY_GROUP_REGIONS: '{"东镇群": "qinghe.dongzhen"}', knowledgeDir: dir })).toEqual({ 东镇群: "qinghe.dongzhen" });
      expect(readMapping({ WECHATY_GROUP_REGIONS: "东镇群: qinghe.dongzhen\n西镇群: qinghe.xizhen", knowledgeDir: dir })).toEqual({ 东镇群: "qinghe.dongzhen", 西镇群: "qinghe.xizhen" });
      writeFileSync(join(dir, "mine.yaml"), "groups:\n  东镇群: qinghe.dongzhen\n");
      expect(readMapping({ WECHATY_GROUP_REGIONS: join(dir, "mine.yaml"), knowledgeDir: dir })).toEqual({ 东镇群: "qinghe.dongzhen" });
      expect(readMapping({ knowledgeDir: dir })).toEqual({});
      writeFileSync(join(dir, "groups.yaml"), "groups:\n  李家村群: qinghe.dongzhen.lijiacun\n");
      expect(readMapping({ knowledgeDir: dir })).toEqual({ 李家村群: "qinghe.dongzhen.lijiacun" });
      expect(() => readMapping({ WECHATY_GROUP_REGIONS: join(dir, "missing.yaml"), knowledgeDir: dir })).toThrow(/file not found/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    // The bundled example maps only regions the bundled directory knows.
    expect(GroupRegionMap.fromConfig({ knowledgeDir: KNOWLEDGE }, directory).rejected).toEqual([]);
  });

  it("thread keys keep the room and the member apart", () => {
    expect(parseThreadKey(roomThreadKey("123@chatroom", "wxid_a:b"))).toEqual({ kind: "room", roomId: "123@chatroom", contactId: "wxid_a:b" });
    expect(parseThreadKey("dm:wxid_x")).toEqual({ kind: "dm", contactId: "wxid_x" });
    expect(parseThreadKey("chat:1")).toBeNull();
  });
});

// GroupStore on both stores (SQLite file, PostgreSQL schema): the same calls give the same
// rows — booleans, timestamps, counts and name order included.

import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { GroupStore } from "../../../src/channels/groups/index.ts";
import { BACKENDS, skipped, title, type Backend } from "../../store/backends.ts";

const T0 = new Date("2026-03-02T02:00:00.000Z");
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const TOWN = "qinghe.dongzhen";
const VILLAGE = "qinghe.dongzhen.lijiacun";

describe.each(BACKENDS)("%s", (name, make) => {
  describe.skipIf(skipped(name))(title("GroupStore", name), () => {
    let b: Backend;
    let groups: GroupStore;
    beforeEach(async () => {
      b = await make();
      groups = new GroupStore(b.sql);
    });
    afterEach(async () => b.close());

    it("records groups, keeps an administrator's region over the configured one, and follows leaving and rejoining", async () => {
      const first = await groups.upsertGroup({ channel: "wechaty", groupKey: "r1", name: "东镇法律服务群", region: TOWN, joined: true }, at(0));
      expect(first).toEqual({
        channel: "wechaty",
        groupKey: "r1",
        name: "东镇法律服务群",
        region: TOWN,
        regionSource: "config",
        active: true,
        joinedAt: at(0).toISOString(),
        leftAt: null,
        updatedAt: at(0).toISOString(),
      });
      expect(await groups.getGroup("wechaty", "r1")).toEqual(first);
      expect(await groups.getGroup("telegram", "r1")).toBeNull();

      // The administrator maps it to the village; a later sighting with the configured region keeps it.
      expect(await groups.setRegion("wechaty", "r1", VILLAGE, at(1))).toMatchObject({ region: VILLAGE, regionSource: "admin", updatedAt: at(1).toISOString() });
      expect(await groups.setRegion("wechaty", "nope", VILLAGE, at(1))).toBeNull();
      const renamed = await groups.upsertGroup({ channel: "wechaty", groupKey: "r1", name: "李家村普法群", region: TOWN }, at(2));
      expect(renamed).toMatchObject({ name: "李家村普法群", region: VILLAGE, regionSource: "admin", joinedAt: at(0).toISOString() });

      await groups.markLeft("wechaty", "r1", at(3));
      expect(await groups.getGroup("wechaty", "r1")).toMatchObject({ active: false, leftAt: at(3).toISOString(), updatedAt: at(3).toISOString() });
      // Seen while still out (active: false) keeps the leaving time; back in clears it.
      expect(await groups.upsertGroup({ channel: "wechaty", groupKey: "r1", name: "李家村普法群", region: null, active: false }, at(4))).toMatchObject({
        active: false,
        leftAt: at(3).toISOString(),
      });
      expect(await groups.upsertGroup({ channel: "wechaty", groupKey: "r1", name: "李家村普法群", region: null, joined: true }, at(5))).toMatchObject({
        active: true,
        leftAt: null,
        joinedAt: at(5).toISOString(),
        region: VILLAGE,
      });

      // Back to the configured mapping: cleared by the administrator, replaced on the next sighting.
      expect(await groups.setRegion("wechaty", "r1", null, at(6))).toMatchObject({ region: null, regionSource: null });
      expect(await groups.upsertGroup({ channel: "wechaty", groupKey: "r1", name: "李家村普法群", region: TOWN }, at(7))).toMatchObject({ region: TOWN, regionSource: "config" });
      expect(await groups.upsertGroup({ channel: "wechaty", groupKey: "r1", name: "李家村普法群", region: null }, at(8))).toMatchObject({ region: null, regionSource: null });
    });

    it("lists a channel's groups in code point order of name, then key", async () => {
      for (const [key, groupName] of [
        ["k4", "李家村普法群"],
        ["k3", "东镇法律服务群"],
        ["k2", "b村"],
        ["k1", "B村"],
        ["k0", "B村"],
      ]) {
        await groups.upsertGroup({ channel: "wechaty", groupKey: key, name: groupName, region: null }, at(0));
      }
      await groups.upsertGroup({ channel: "telegram", groupKey: "-100", name: "A群", region: null }, at(0));
      // Uppercase before lowercase, 东 (U+4E1C) before 李 (U+674E): SQLite's order, not a locale's.
      expect((await groups.listGroups("wechaty")).map((g) => [g.name, g.groupKey])).toEqual([
        ["B村", "k0"],
        ["B村", "k1"],
        ["b村", "k2"],
        ["东镇法律服务群", "k3"],
        ["李家村普法群", "k4"],
      ]);
      expect((await groups.listGroups("telegram")).map((g) => g.groupKey)).toEqual(["-100"]);
    });

    it("welcomes a member once per group", async () => {
      expect(await groups.markWelcomed("wechaty", "r1", "m1", at(0))).toBe(true);
      expect(await groups.markWelcomed("wechaty", "r1", "m1", at(1))).toBe(false);
      expect(await groups.markWelcomed("wechaty", "r2", "m1", at(1))).toBe(true);
      expect(await groups.markWelcomed("telegram", "r1", "m1", at(1))).toBe(true);
    });

    it("counts group questions once per platform message, per group and topic, within the range", async () => {
      await groups.upsertGroup({ channel: "wechaty", groupKey: "r1", name: "东镇法律服务群", region: TOWN }, at(0));
      const ask = (groupKey: string, topic: string, sensitive: boolean, id: string, minutes: number) =>
        groups.recordQuestion({ channel: "wechaty", groupKey, groupName: `群${groupKey}`, region: groupKey === "r2" ? VILLAGE : null, topic, sensitive, platformMessageId: id, askedAt: at(minutes) });
      await ask("r1", "labour", false, "m1", 1);
      await ask("r1", "labour", true, "m2", 2);
      await ask("r1", "labour", true, "m2", 3); // the same message again
      await ask("r1", "marriage", true, "m3", 4);
      await ask("r2", "labour", false, "m4", 5); // a group never recorded: its logged name and region
      await ask("r2", "labour", false, "m5", 60); // outside the range
      await groups.recordQuestion({ channel: "telegram", groupKey: "r1", groupName: "x", region: null, topic: "labour", sensitive: false, platformMessageId: "m1", askedAt: at(1) });

      expect(await groups.groupNeeds("wechaty", { from: at(0), to: at(60) })).toEqual([
        { groupKey: "r1", groupName: "东镇法律服务群", region: TOWN, topic: "labour", count: 2, sensitive: 1 },
        { groupKey: "r1", groupName: "东镇法律服务群", region: TOWN, topic: "marriage", count: 1, sensitive: 1 },
        { groupKey: "r2", groupName: "群r2", region: VILLAGE, topic: "labour", count: 1, sensitive: 0 },
      ]);
      expect(await groups.groupNeeds("wechaty", { from: at(2), to: at(3) })).toEqual([
        { groupKey: "r1", groupName: "东镇法律服务群", region: TOWN, topic: "labour", count: 1, sensitive: 1 },
      ]);
      expect(await groups.groupNeeds("wechaty", { from: at(100), to: at(200) })).toEqual([]);
    });

    it("remembers which group thread a member's private chat continues", async () => {
      expect(await groups.getPrivateRoute("wechaty", "m1")).toBeNull();
      await groups.setPrivateRoute("wechaty", "m1", "room:r1:m1", at(0));
      await groups.setPrivateRoute("wechaty", "m1", "room:r2:m1", at(1));
      await groups.setPrivateRoute("telegram", "m1", "group:-1:m1", at(1));
      expect(await groups.getPrivateRoute("wechaty", "m1")).toBe("room:r2:m1");
      expect(await groups.getPrivateRoute("telegram", "m1")).toBe("group:-1:m1");
    });
  });
});

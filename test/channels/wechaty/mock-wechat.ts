// A WeChat world on wechaty-puppet-mock: the assistant's account, residents, township
// groups, and a record of everything the assistant said and to whom.

import { Writable } from "node:stream";
import { ScanStatus, WechatyBuilder, type Wechaty } from "wechaty";
import { PuppetMock, mock } from "wechaty-puppet-mock";
import { WechatyChannel, type WechatyChannelOptions } from "../../../src/channels/wechaty/channel.ts";
import { GroupRegionMap } from "../../../src/channels/wechaty/group-regions.ts";
import type { TestApp } from "./app-fixture.ts";

export type ContactMock = ReturnType<mock.Mocker["createContact"]>;
export type RoomMock = ReturnType<mock.Mocker["createRoom"]>;

export interface SentMessage {
  /** Room id for a group message, else undefined. */
  room?: string;
  /** Contact id for a private message, else undefined. */
  to?: string;
  text: string;
}

export interface MockWechat {
  mocker: mock.Mocker;
  bot: Wechaty;
  channel: WechatyChannel;
  me: ContactMock;
  qrArt: () => string;
  contact(name: string): ContactMock;
  room(id: string, topic: string, members: ContactMock[]): RoomMock;
  /** Everything the assistant has said, in order. */
  sent(): SentMessage[];
  toRoom(roomId: string): string[];
  toContact(contactId: string): string[];
  /** Waits for the channel's handlers and the outbox to settle. */
  settle(): Promise<void>;
  login(): Promise<void>;
  stop(): Promise<void>;
}

export async function mockWechat(t: TestApp, opts: { regions?: Record<string, string> } & Partial<Omit<WechatyChannelOptions, "regions">> = {}): Promise<MockWechat> {
  const mocker = new mock.Mocker();
  const bot = WechatyBuilder.build({ puppet: new PuppetMock({ mocker }) });
  let art = "";
  const qrOutput = new Writable({
    write(chunk, _enc, cb) {
      art += String(chunk);
      cb();
    },
  });
  const { regions, ...rest } = opts;
  const channel = new WechatyChannel({
    bot,
    app: t.app,
    qrOutput,
    regions: regions ? GroupRegionMap.fromMapping(regions, t.app.directory) : undefined,
    ...rest,
  });
  await channel.start();
  const me = mocker.createContact({ name: "法律助手" });

  const sent = (): SentMessage[] =>
    [...mocker.cacheMessagePayload.values()]
      .filter((p) => p.talkerId === me.id)
      .map((p) => ({ room: p.roomId || undefined, to: p.roomId ? undefined : p.listenerId, text: p.text ?? "" }));

  const w: MockWechat = {
    mocker,
    bot,
    channel,
    me,
    qrArt: () => art,
    contact: (name) => mocker.createContact({ name }),
    room: (id, topic, members) => mocker.createRoom({ id, topic, memberIdList: [me.id, ...members.map((m) => m.id)] }),
    sent,
    toRoom: (roomId) => sent().filter((m) => m.room === roomId).map((m) => m.text),
    toContact: (contactId) => sent().filter((m) => m.to === contactId).map((m) => m.text),
    async settle() {
      await channel.idle();
      await t.app.dispatcher.flushAll();
      await channel.idle();
    },
    async login() {
      const loggedIn = new Promise<void>((resolve) => bot.once("login", () => resolve()));
      mocker.login(me);
      await loggedIn;
      await channel.idle();
    },
    async stop() {
      await channel.stop();
    },
  };
  return w;
}

export { ScanStatus };

// Builds the Wechaty bot from settings. The puppet is a setting: a bureau normally connects
// a WeCom (企业微信) account through a puppet service (WECHATY_PUPPET=wechaty-puppet-service
// with WECHATY_PUPPET_SERVICE_TOKEN); automating a personal WeChat account risks a ban.

import { join } from "node:path";
import { WechatyBuilder, type OfficialPuppetNpmName, type Wechaty } from "wechaty";
import type { Config } from "../../config.ts";

export type WechatySettings = Pick<Config, "WECHATY_PUPPET" | "WECHATY_PUPPET_SERVICE_TOKEN" | "WECHATY_NAME" | "dataDir">;

/** True when WECHATY_PUPPET is set, so the WeChat group channel should start. */
export function wechatyEnabled(config: Pick<Config, "WECHATY_PUPPET">): boolean {
  return !!config.WECHATY_PUPPET;
}

/** Builds the Wechaty bot from the settings (puppet, token, name); throws when no puppet is set. */
export function createWechatyBot(config: WechatySettings): Wechaty {
  if (!config.WECHATY_PUPPET) throw new Error("WECHATY_PUPPET: required to start the WeChat group channel");
  const token = config.WECHATY_PUPPET_SERVICE_TOKEN;
  return WechatyBuilder.build({
    // The session (memory card) is kept in the data directory, so a restart needs no new scan.
    name: join(config.dataDir, config.WECHATY_NAME),
    // Imported by name at start; any puppet's own settings come from its environment variables.
    puppet: config.WECHATY_PUPPET as OfficialPuppetNpmName,
    ...(token ? { puppetOptions: { token } } : {}),
  });
}

// The npm `wechat-crypto` package (the test oracle) ships no types.
declare module "wechat-crypto" {
  export default class WXBizMsgCrypt {
    constructor(token: string, encodingAESKey: string, id: string);
    token: string;
    id: string;
    key: Buffer;
    iv: Buffer;
    getSignature(timestamp: string, nonce: string, encrypt: string): string;
    encrypt(text: string): string;
    decrypt(text: string): { message: string; id: string };
  }
}

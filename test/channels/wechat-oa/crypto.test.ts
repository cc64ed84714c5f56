import fc from "fast-check";
import WXBizMsgCrypt from "wechat-crypto";
import { describe, expect, it } from "vitest";
import {
  WechatCipher,
  WechatCryptoError,
  msgSignature,
  pkcs7Pad,
  pkcs7Unpad,
  signaturesEqual,
  urlSignature,
} from "../../../src/channels/wechat-oa/crypto.ts";

// The official documentation's published vectors (消息加解密 sample code, WXBizMsgCryptTest).
const OFFICIAL = {
  encodingAesKey: "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG",
  token: "pamtest",
  timestamp: "1409304348",
  nonce: "xxxxxx",
  appId: "wxb11529c136998cb6",
  random: "aaaabbbbccccdddd",
  replyMsg: "我是中文abcd123",
  afterAesEncrypt: "jn1L23DB+6ELqJ+6bruv21Y6MD7KeIfP82D6gU39rmkgczbWwt5+3bnyg5K55bgVtVzd832WzZGMhkP72vVOfg==",
  replyMsg2:
    "<xml><ToUserName><![CDATA[oia2Tj我是中文jewbmiOUlr6X-1crbLOvLw]]></ToUserName><FromUserName><![CDATA[gh_7f083739789a]]></FromUserName><CreateTime>1407743423</CreateTime><MsgType><![CDATA[video]]></MsgType><Video><MediaId><![CDATA[eYJ1MbwPRJtOvIEabaxHs7TX2D-HV71s79GUxqdUkjm6Gs2Ed1KF3ulAOA9H1xG0]]></MediaId><Title><![CDATA[testCallBackReplyVideo]]></Title><Description><![CDATA[testCallBackReplyVideo]]></Description></Video></xml>",
  afterAesEncrypt2:
    "jn1L23DB+6ELqJ+6bruv23M2GmYfkv0xBh2h+XTBOKVKcgDFHle6gqcZ1cZrk3e1qjPQ1F4RsLWzQRG9udbKWesxlkupqcEcW7ZQweImX9+wLMa0GaUzpkycA8+IamDBxn5loLgZpnS7fVAbExOkK5DYHBmv5tptA9tklE/fTIILHR8HLXa5nQvFb3tYPKAlHF3rtTeayNf0QuM+UW/wM9enGIDIJHF7CLHiDNAYxr+r+OrJCmPQyTy8cVWlu9iSvOHPT/77bZqJucQHQ04sq7KZI27OcqpQNSto2OdHCoTccjggX5Z9Mma0nMJBU+jLKJ38YB1fBIz+vBzsYjrTmFQ44YfeEuZ+xRTQwr92vhA9OxchWVINGC50qE/6lmkwWTwGX9wtQpsJKhP+oS7rvTY8+VdzETdfakjkwQ5/Xka042OlUb1/slTwo4RscuQ+RdxSGvDahxAJ6+EAjLt9d8igHngxIbf6YyqqROxuxqIeIch3CssH/LqRs+iAcILvApYZckqmA7FNERspKA5f8GoJ9sv8xmGvZ9Yrf57cExWtnX8aCMMaBropU/1k+hKP5LVdzbWCG0hGwx/dQudYR/eXp3P0XxjlFiy+9DMlaFExWUZQDajPkdPrEeOwofJb",
};

// The URL-verification vector of the same sample code (testVerifyUrl).
const VERIFY_URL = {
  token: "QDG6eK",
  encodingAesKey: "jWmYm7qr5nMoAUwZRjGtBxmz3KA1tkAj3ykkR6q2B2C",
  receiveId: "wx5823bf96d3bd56c7",
  msgSignature: "5c45ff5e21c57e6ad56bac8758b79b1d9ac89fd3",
  timestamp: "1409659589",
  nonce: "263014780",
  echoStr: "P9nAzCzyDtyTWESHep1vC5X9xho/qYX3Zpb4yKa9SKld1DsH3Iyt3tP3zNdtp+4RPcs8TgAE7OaBO+FZXvnaqQ==",
};

const KEY_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789".split("");
const aesKeyArb = fc.array(fc.constantFrom(...KEY_CHARS), { minLength: 43, maxLength: 43 }).map((a) => a.join(""));
const appIdArb = fc.stringMatching(/^wx[0-9a-f]{16}$/);
const tokenArb = fc.stringMatching(/^[A-Za-z0-9]{3,32}$/);

describe("official test vectors", () => {
  it("encrypts 我是中文abcd123 with the fixed random to the published ciphertext", () => {
    const cipher = new WechatCipher(OFFICIAL.encodingAesKey, OFFICIAL.appId);
    expect(cipher.encrypt(OFFICIAL.replyMsg, Buffer.from(OFFICIAL.random))).toBe(OFFICIAL.afterAesEncrypt);
    expect(cipher.decrypt(OFFICIAL.afterAesEncrypt)).toBe(OFFICIAL.replyMsg);
  });

  it("encrypts the published video message to the published ciphertext (multi-block, UTF-8)", () => {
    const cipher = new WechatCipher(OFFICIAL.encodingAesKey, OFFICIAL.appId);
    expect(cipher.encrypt(OFFICIAL.replyMsg2, Buffer.from(OFFICIAL.random))).toBe(OFFICIAL.afterAesEncrypt2);
    expect(cipher.decrypt(OFFICIAL.afterAesEncrypt2)).toBe(OFFICIAL.replyMsg2);
  });

  it("verifies the published URL-check msg_signature and decrypts its echostr for the receive id", () => {
    expect(msgSignature(VERIFY_URL.token, VERIFY_URL.timestamp, VERIFY_URL.nonce, VERIFY_URL.echoStr)).toBe(VERIFY_URL.msgSignature);
    const cipher = new WechatCipher(VERIFY_URL.encodingAesKey, VERIFY_URL.receiveId);
    expect(cipher.decrypt(VERIFY_URL.echoStr)).toMatch(/^\d+$/);
    expect(cipher.decryptAny(VERIFY_URL.echoStr).appId).toBe(VERIFY_URL.receiveId);
  });

  it("refuses the published ciphertext for another AppID", () => {
    const cipher = new WechatCipher(OFFICIAL.encodingAesKey, "wx0000000000000000");
    expect(() => cipher.decrypt(OFFICIAL.afterAesEncrypt)).toThrow(expect.objectContaining({ reason: "wrong_app_id" }));
  });

  it("url signature is sha1 over the sorted parts", () => {
    // sorted: "1409304348" < "pamtest" < "xxxxxx"
    expect(urlSignature("pamtest", "1409304348", "xxxxxx")).toBe(
      // computed independently by the oracle (which sorts token, timestamp, nonce, encrypt: an empty encrypt sorts first)
      new WXBizMsgCrypt("pamtest", OFFICIAL.encodingAesKey, OFFICIAL.appId).getSignature("1409304348", "xxxxxx", ""),
    );
  });
});

describe("agrees with the wechat-crypto oracle", () => {
  it("our ciphertext decrypts with the oracle and theirs with ours, for any text, key and AppID", () => {
    fc.assert(
      fc.property(aesKeyArb, appIdArb, fc.string({ unit: "binary", maxLength: 800 }), (key, appId, text) => {
        const ours = new WechatCipher(key, appId);
        const oracle = new WXBizMsgCrypt("t0k", key, appId);
        const mine = ours.encrypt(text);
        expect(oracle.decrypt(mine)).toEqual({ message: text, id: appId });
        expect(ours.decrypt(oracle.encrypt(text))).toBe(text);
      }),
      { numRuns: 2000 },
    );
  });

  it("msg_signature matches the oracle's for any token, timestamp, nonce and payload", () => {
    fc.assert(
      fc.property(tokenArb, fc.string({ maxLength: 12 }), fc.string({ maxLength: 20 }), fc.string({ maxLength: 200 }), (token, ts, nonce, enc) => {
        expect(msgSignature(token, ts, nonce, enc)).toBe(new WXBizMsgCrypt(token, OFFICIAL.encodingAesKey, "wx").getSignature(ts, nonce, enc));
      }),
      { numRuns: 2000 },
    );
  });
});

describe("the cipher refuses what it should", () => {
  const cipher = new WechatCipher(OFFICIAL.encodingAesKey, OFFICIAL.appId);

  it("rejects a wrong-length or non-alphanumeric key", () => {
    expect(() => new WechatCipher("abc", "wx")).toThrow(WechatCryptoError);
    expect(() => new WechatCipher(`${OFFICIAL.encodingAesKey.slice(0, 42)}+`, "wx")).toThrow(WechatCryptoError);
  });

  it("rejects non-base64, partial blocks, and tampered ciphertext without crashing", () => {
    expect(() => cipher.decrypt("not base64!")).toThrow(WechatCryptoError);
    expect(() => cipher.decrypt("")).toThrow(WechatCryptoError);
    expect(() => cipher.decrypt(Buffer.alloc(20).toString("base64"))).toThrow(WechatCryptoError);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 63 }), fc.integer({ min: 1, max: 255 }), (pos, flip) => {
        const raw = Buffer.from(OFFICIAL.afterAesEncrypt, "base64");
        raw[pos] ^= flip;
        // Either refused, or (a flip in an early block) garbage that is not the original with our AppID.
        try {
          expect(cipher.decrypt(raw.toString("base64"))).not.toBe(OFFICIAL.replyMsg);
        } catch (e) {
          expect(e).toBeInstanceOf(WechatCryptoError);
        }
      }),
      { numRuns: 1000 },
    );
  });

  it("decrypt never throws anything but WechatCryptoError on arbitrary input", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.base64String({ maxLength: 400 })), (s) => {
        try {
          cipher.decrypt(s);
        } catch (e) {
          expect(e).toBeInstanceOf(WechatCryptoError);
        }
      }),
      { numRuns: 3000 },
    );
  });

  it("PKCS#7 pads to 32-byte blocks and round-trips", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 100 }), (bytes) => {
        const padded = pkcs7Pad(Buffer.from(bytes));
        expect(padded.length % 32).toBe(0);
        expect(padded.length - bytes.length).toBeGreaterThanOrEqual(1);
        expect(pkcs7Unpad(padded)).toEqual(Buffer.from(bytes));
      }),
    );
    expect(() => pkcs7Unpad(Buffer.from([1, 2, 3, 0]))).toThrow(WechatCryptoError);
    expect(() => pkcs7Unpad(Buffer.from([1, 2, 3, 33]))).toThrow(WechatCryptoError);
  });

  it("compares signatures in constant time and rejects anything but the exact hex", () => {
    const sig = urlSignature("tok", "1", "2");
    expect(signaturesEqual(sig, sig)).toBe(true);
    expect(signaturesEqual(sig, sig.toUpperCase())).toBe(true);
    expect(signaturesEqual(sig, sig.slice(1))).toBe(false);
    expect(signaturesEqual(sig, undefined)).toBe(false);
    const lastFlipped = sig.slice(0, -1) + (sig.endsWith("0") ? "1" : "0");
    expect(signaturesEqual(sig, lastFlipped)).toBe(false);
  });
});

// WeChat message signatures and the safe-mode cipher (消息加解密), written from the protocol:
//   signature     = sha1(sort([token, timestamp, nonce]).join(""))
//   msg_signature = sha1(sort([token, timestamp, nonce, Encrypt]).join(""))
//   key = base64(EncodingAESKey + "="), IV = key[0..16), AES-256-CBC, PKCS#7 to 32-byte blocks,
//   plaintext = random(16) | length(4, big-endian) | xml | appId.

import { createCipheriv, createDecipheriv, createHash, randomBytes, timingSafeEqual } from "node:crypto";

const BLOCK = 32;

/** Any failure to authenticate or decrypt; the message never says which byte was wrong. */
export class WechatCryptoError extends Error {
  constructor(
    readonly reason: "bad_key" | "bad_ciphertext" | "bad_padding" | "bad_length" | "wrong_app_id",
    message: string,
  ) {
    super(message);
    this.name = "WechatCryptoError";
  }
}

export function sha1Sorted(parts: string[]): string {
  return createHash("sha1").update([...parts].sort().join("")).digest("hex");
}

/** The `signature` WeChat puts on every request (URL check and each POST). */
export function urlSignature(token: string, timestamp: string, nonce: string): string {
  return sha1Sorted([token, timestamp, nonce]);
}

/** The `msg_signature` over an encrypted body (and on our encrypted replies). */
export function msgSignature(token: string, timestamp: string, nonce: string, encrypt: string): string {
  return sha1Sorted([token, timestamp, nonce, encrypt]);
}

/** Constant-time comparison of two hex signatures (a wrong length is simply unequal). */
export function signaturesEqual(expected: string, given: string | undefined | null): boolean {
  if (typeof given !== "string" || given.length !== expected.length) return false;
  return timingSafeEqual(Buffer.from(expected, "latin1"), Buffer.from(given.toLowerCase(), "latin1"));
}

export function decodeAesKey(encodingAesKey: string): Buffer {
  if (!/^[A-Za-z0-9]{43}$/.test(encodingAesKey)) throw new WechatCryptoError("bad_key", "EncodingAESKey must be 43 letters and digits");
  const key = Buffer.from(`${encodingAesKey}=`, "base64");
  if (key.length !== 32) throw new WechatCryptoError("bad_key", "EncodingAESKey does not decode to 32 bytes");
  return key;
}

export function pkcs7Pad(data: Buffer): Buffer {
  const n = BLOCK - (data.length % BLOCK);
  return Buffer.concat([data, Buffer.alloc(n, n)]);
}

export function pkcs7Unpad(data: Buffer): Buffer {
  const n = data.length > 0 ? data[data.length - 1] : 0;
  if (n < 1 || n > BLOCK || n > data.length) throw new WechatCryptoError("bad_padding", "bad padding");
  for (let i = data.length - n; i < data.length; i++) if (data[i] !== n) throw new WechatCryptoError("bad_padding", "bad padding");
  return data.subarray(0, data.length - n);
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;

/** The safe-mode cipher for one official account (its EncodingAESKey and AppID). */
export class WechatCipher {
  private readonly key: Buffer;
  private readonly iv: Buffer;

  constructor(
    encodingAesKey: string,
    readonly appId: string,
  ) {
    this.key = decodeAesKey(encodingAesKey);
    this.iv = this.key.subarray(0, 16);
  }

  /** Encrypts a reply; `random` is for test vectors only (16 bytes). */
  encrypt(xml: string, random: Buffer = randomBytes(16)): string {
    const body = Buffer.from(xml, "utf8");
    const length = Buffer.alloc(4);
    length.writeUInt32BE(body.length, 0);
    const plain = pkcs7Pad(Buffer.concat([random, length, body, Buffer.from(this.appId, "utf8")]));
    const cipher = createCipheriv("aes-256-cbc", this.key, this.iv);
    cipher.setAutoPadding(false);
    return Buffer.concat([cipher.update(plain), cipher.final()]).toString("base64");
  }

  /** Decrypts and checks the AppID at the end; returns the inner XML. */
  decrypt(encrypted: string): string {
    return this.open(encrypted, this.appId);
  }

  /** Decrypts without an expected AppID: for test vectors and diagnostics. */
  decryptAny(encrypted: string): { xml: string; appId: string } {
    const plain = this.plaintext(encrypted);
    const { xml, tail } = split(plain);
    return { xml, appId: tail };
  }

  private open(encrypted: string, appId: string): string {
    const { xml, tail } = split(this.plaintext(encrypted));
    if (tail !== appId) throw new WechatCryptoError("wrong_app_id", "message is for another AppID");
    return xml;
  }

  private plaintext(encrypted: string): Buffer {
    const compact = encrypted.trim();
    if (compact.length === 0 || compact.length % 4 !== 0 || !BASE64.test(compact)) {
      throw new WechatCryptoError("bad_ciphertext", "ciphertext is not base64");
    }
    const data = Buffer.from(compact, "base64");
    if (data.length === 0 || data.length % 16 !== 0) throw new WechatCryptoError("bad_ciphertext", "ciphertext is not whole AES blocks");
    const decipher = createDecipheriv("aes-256-cbc", this.key, this.iv);
    decipher.setAutoPadding(false);
    return pkcs7Unpad(Buffer.concat([decipher.update(data), decipher.final()]));
  }
}

function split(plain: Buffer): { xml: string; tail: string } {
  if (plain.length < 20) throw new WechatCryptoError("bad_length", "plaintext too short");
  const length = plain.readUInt32BE(16);
  if (length > plain.length - 20) throw new WechatCryptoError("bad_length", "length field exceeds the plaintext");
  return {
    xml: plain.subarray(20, 20 + length).toString("utf8"),
    tail: plain.subarray(20 + length).toString("utf8"),
  };
}

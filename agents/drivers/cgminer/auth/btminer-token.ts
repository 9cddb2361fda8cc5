import { createCipheriv, createDecipheriv, createHash } from 'node:crypto';
import { md5Crypt } from './md5-crypt.ts';

/**
 * Whatsminer btminer API v2 privileged commands (CURTAILMENT_COMMANDS.md; pyasic
 * rpc/btminer.py): `get_token` answers {time, salt, newsalt}; then
 *   host_passwd_md5 = hash part of md5crypt(password, salt)
 *   host_sign       = hash part of md5crypt(host_passwd_md5 + time, newsalt)
 * The command JSON gets "token": host_sign, is NUL-padded to 16 bytes, AES-256-ECB encrypted
 * with key sha256(host_passwd_md5) and sent as {"enc":1,"data":base64}. Replies come back as
 * {"enc":"base64"} under the same key. Pure; used by the driver and by the twin.
 */
export interface BtminerTokenMsg {
  time: string;
  salt: string;
  newsalt: string;
}

export interface BtminerToken {
  hostSign: string;
  hostPasswdMd5: string;
}

const hashPart = (crypted: string) => crypted.split('$')[3] ?? '';

/**
 * md5crypt(password, salt) depends only on the miner's password and its fixed salt, so it is
 * worked out once per miner; only host_sign changes with each token.
 */
const passwdMd5Memo = new Map<string, string>();
const MEMO_LIMIT = 200_000;

export function btminerToken(password: string, msg: BtminerTokenMsg): BtminerToken {
  const key = `${msg.salt}\u0000${password}`;
  let hostPasswdMd5 = passwdMd5Memo.get(key);
  if (hostPasswdMd5 === undefined) {
    if (passwdMd5Memo.size >= MEMO_LIMIT) passwdMd5Memo.clear();
    hostPasswdMd5 = hashPart(md5Crypt(password, msg.salt));
    passwdMd5Memo.set(key, hostPasswdMd5);
  }
  const hostSign = hashPart(md5Crypt(hostPasswdMd5 + msg.time, msg.newsalt));
  return { hostSign, hostPasswdMd5 };
}

const keyOf = (hostPasswdMd5: string) => createHash('sha256').update(hostPasswdMd5).digest();

function nulPad(text: string): Buffer {
  const raw = Buffer.from(text, 'utf8');
  const padded = Buffer.alloc(Math.ceil(raw.length / 16) * 16 || 16);
  raw.copy(padded);
  return padded;
}

export function btminerEncrypt(hostPasswdMd5: string, json: string): string {
  const cipher = createCipheriv('aes-256-ecb', keyOf(hostPasswdMd5), null);
  cipher.setAutoPadding(false);
  return Buffer.concat([cipher.update(nulPad(json)), cipher.final()]).toString('base64');
}

/** Throws when the text does not decrypt to JSON (a wrong password gives garbage). */
export function btminerDecrypt(hostPasswdMd5: string, base64: string): unknown {
  const bytes = Buffer.from(base64, 'base64');
  if (bytes.length === 0 || bytes.length % 16 !== 0) throw new Error(`encrypted btminer payload of ${bytes.length} bytes is not a whole number of AES blocks`);
  const decipher = createDecipheriv('aes-256-ecb', keyOf(hostPasswdMd5), null);
  decipher.setAutoPadding(false);
  const plain = Buffer.concat([decipher.update(bytes), decipher.final()]);
  let end = plain.length;
  while (end > 0 && plain[end - 1] === 0) end--;
  try {
    return JSON.parse(plain.subarray(0, end).toString('utf8'));
  } catch (err) {
    throw new Error(`encrypted btminer payload does not decrypt to JSON (wrong password or token?): ${(err as Error).message}`, { cause: err });
  }
}

/** The privileged request as it goes on the wire. */
export function btminerPrivileged(token: BtminerToken, command: Record<string, string>): string {
  const json = JSON.stringify({ ...command, token: token.hostSign });
  return JSON.stringify({ enc: 1, data: btminerEncrypt(token.hostPasswdMd5, json) });
}

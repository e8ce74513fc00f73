/**
 * v1's password hashes (lucia's `Scrypt`, as Convex Auth v1's Password
 * provider writes them) and what v2's tooling needs to verify one. v2's
 * password component cannot (argon2id only, and no function takes a hash),
 * but the package it hashes with, `password-hash-wasm`, verifies scrypt PHC
 * strings (`password-hash-wasm/scrypt`) and builds one from these parts
 * (`password-hash-wasm/scrypt-encode`, `encodePHC`). Pure: the library does
 * not import v2 here.
 */

/**
 * lucia's `Scrypt.hash`: a 16-byte random salt written as 32 hex digits, and
 * the 64-byte key as 128, lower-case, joined by ":".
 */
const SCRYPT_HASH = /^([0-9a-f]{32}):([0-9a-f]{128})$/;

export function isScryptHash(secret: string): boolean {
  return SCRYPT_HASH.test(secret);
}

/** The arguments of `encodePHC` for one of v1's hashes. */
export type ScryptPhcParts = {
  ln: number;
  r: number;
  p: number;
  salt: Uint8Array;
  hash: Uint8Array;
};

/**
 * The parts of a v1 hash, for `encodePHC`. lucia's parameters are fixed
 * (N = 2^14, r = 16, p = 1), and its salt is the hex TEXT's bytes, not the
 * bytes it spells: lucia hashes with `TextEncoder().encode(salt)`. The
 * password must be NFKC-normalized before the check, as lucia does.
 *
 * @throws When the secret is not lucia's Scrypt (check `isScryptHash`).
 * @example await encodePHC(scryptPhcParts(row.secret))
 */
export function scryptPhcParts(secret: string): ScryptPhcParts {
  const match = SCRYPT_HASH.exec(secret);
  if (match === null) {
    throw new Error("Not a lucia Scrypt hash (salt:key in lower-case hex)");
  }
  const key = match[2]!;
  const hash = new Uint8Array(key.length / 2);
  for (let i = 0; i < hash.length; i += 1) {
    hash[i] = Number.parseInt(key.slice(2 * i, 2 * i + 2), 16);
  }
  return {
    ln: 14,
    r: 16,
    p: 1,
    salt: new TextEncoder().encode(match[1]),
    hash,
  };
}

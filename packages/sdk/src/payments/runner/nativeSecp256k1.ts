import type * as Secp256k1 from "secp256k1";

/** The two calls of libsecp256k1 that voucher verification uses. */
export type NativeSecp256k1 = Pick<typeof Secp256k1, "ecdsaRecover" | "ecdsaVerify">;

let loaded: NativeSecp256k1 | null | undefined;

/**
 * libsecp256k1 through the `secp256k1` package's native addon, loaded on first use; `undefined` where it cannot
 * load (a browser bundle, a platform without a prebuilt binary), and callers then use `@noble/curves`.
 * Node's `module` is reached through `process.getBuiltinModule`, not an import, so bundlers see no node: import.
 */
export function nativeSecp256k1(): NativeSecp256k1 | undefined {
  if (loaded === undefined) {
    try {
      const { createRequire } = globalThis.process.getBuiltinModule("node:module");
      // `secp256k1/bindings`, not `secp256k1`: the package's main entry silently falls back to the pure-JS
      // `elliptic`, which is slower than noble.
      loaded = createRequire(import.meta.url)("secp256k1/bindings") as NativeSecp256k1;
    } catch {
      loaded = null;
    }
  }
  return loaded ?? undefined;
}

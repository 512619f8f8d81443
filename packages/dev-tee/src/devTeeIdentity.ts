import { randomBytes } from "node:crypto";
import { sha256 } from "@noble/hashes/sha2";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils";
import { DEV_QUOTE_DEFAULT_SIGNER_PRIVATE_KEY, devQuoteSignerPublicKey } from "@teetee/sdk/attestation";
import { z } from "zod";
import { DEFAULT_DEV_OS_IMAGE_NAME, devOsImage } from "./devOsImage.js";
import { fromHex, type Hex, toHex } from "./hex.js";

const hexOfBytes = (length: number) =>
  z
    .string()
    .transform((value) => (value.startsWith("0x") ? value : `0x${value}`).toLowerCase())
    .refine(
      (value) => new RegExp(`^0x[0-9a-f]{${length * 2}}$`).test(value),
      `expected ${length} bytes of hex`,
    )
    .transform((value) => value as Hex);

/** Options of a dev-tee instance; everything not given is made up, per instance. */
export const devTeeOptionsSchema = z.object({
  /** The dstack compose hash this instance claims to run (32 bytes); derived from `appCompose` if absent. */
  composeHash: hexOfBytes(32).optional(),
  /** The app-compose.json text, reported by `/Info`; its SHA-256 is the compose hash. */
  appCompose: z.string().optional(),
  appId: hexOfBytes(20).optional(),
  instanceId: hexOfBytes(20).optional(),
  /** Secret all `GetKey` keys derive from; defaults to one derived from app id and instance id. */
  rootSecret: hexOfBytes(32).optional(),
  /** Key that signs dev quotes; defaults to the well-known dev key the SDK trusts by default. */
  signerPrivateKey: hexOfBytes(32).optional(),
  /** The dev OS image this instance boots (its MRTD, RTMR0-2 and os-image-hash follow from the name). */
  osImageName: z.string().min(1).optional(),
  /** Mark the TD as debug in its quotes, to exercise verifiers' debug check. */
  debug: z.boolean().optional(),
  port: z.number().int().min(0).max(65535).optional(),
  appName: z.string().optional(),
});

export type DevTeeOptions = z.input<typeof devTeeOptionsSchema>;

/** Who a dev-tee instance is: fixed at start, like a CVM's measured identity. */
export type DevTeeIdentity = {
  appId: Hex;
  instanceId: Hex;
  composeHash: Hex;
  appCompose: string;
  appName: string;
  osImageName: string;
  /** dstack's `os_image_hash` of that image (SHA-256 of its sha256sum.txt), as its `os-image-hash` event holds it. */
  osImageHash: Hex;
  rootSecret: Hex;
  signerPrivateKey: Hex;
  signerPublicKey: Hex;
  debug: boolean;
};

/** Resolves options into an identity; invalid options throw zod's error at the edge. */
export function createDevTeeIdentity(options: DevTeeOptions = {}): DevTeeIdentity {
  const parsed = devTeeOptionsSchema.parse(options);
  const appCompose = parsed.appCompose ?? JSON.stringify({ runner: "docker-compose", name: "teetee-dev" });
  const composeHash = parsed.composeHash ?? toHex(sha256(utf8ToBytes(appCompose)));
  // dstack's app id is the first 20 bytes of the compose hash for apps without a KMS contract.
  const appId = parsed.appId ?? (composeHash.slice(0, 42) as Hex);
  const instanceId = parsed.instanceId ?? toHex(randomBytes(20));
  const rootSecret =
    parsed.rootSecret ??
    toHex(
      sha256(concatBytes(utf8ToBytes("TeeTee.DevTee.RootSecret.v1"), fromHex(appId), fromHex(instanceId))),
    );
  const signerPrivateKey = parsed.signerPrivateKey ?? DEV_QUOTE_DEFAULT_SIGNER_PRIVATE_KEY;
  const osImageName = parsed.osImageName ?? DEFAULT_DEV_OS_IMAGE_NAME;
  return {
    appId,
    instanceId,
    composeHash,
    appCompose,
    appName: parsed.appName ?? "teetee-dev",
    osImageName,
    osImageHash: devOsImage(osImageName).osImageHash,
    rootSecret,
    signerPrivateKey,
    signerPublicKey: devQuoteSignerPublicKey(signerPrivateKey),
    debug: parsed.debug ?? false,
  };
}

import { sha256 } from "@noble/hashes/sha2";
import { bytesToHex, utf8ToBytes } from "@noble/hashes/utils";
import { type Hex, toHex } from "./hex.js";

/** The OS image a dev-tee boots unless told otherwise. */
export const DEFAULT_DEV_OS_IMAGE_NAME = "teetee-dev-os-0.1";

/**
 * A stand-in for a dstack OS image: firmware, kernel, command line and initrd, listed with their SHA-256 in a
 * `sha256sum.txt`. As in dstack, the image's `os_image_hash` is SHA-256 of that list, and the TD's MRTD and RTMR0-2
 * are measurements of these same files, so one name fixes both.
 */
export type DevOsImage = {
  name: string;
  firmware: Uint8Array;
  kernel: Uint8Array;
  cmdline: string;
  initrd: Uint8Array;
  /** dstack's `os_image_hash`: SHA-256 of `sha256sum.txt`. */
  osImageHash: Hex;
};

export function devOsImage(name: string = DEFAULT_DEV_OS_IMAGE_NAME): DevOsImage {
  const part = (what: string) => utf8ToBytes(`TeeTee dev-tee ${what} of ${name}: not a TEE`);
  const firmware = part("firmware (ovmf.fd)");
  const kernel = part("kernel (bzImage)");
  const initrd = part("initrd (initramfs.cpio.gz)");
  const cmdline = `console=ttyS0 teetee.dev-os=${name}`;
  const files: [string, Uint8Array][] = [
    ["ovmf.fd", firmware],
    ["bzImage", kernel],
    ["initramfs.cpio.gz", initrd],
    ["cmdline", utf8ToBytes(cmdline)],
  ];
  const sha256sum = files.map(([file, bytes]) => `${bytesToHex(sha256(bytes))}  ${file}\n`).join("");
  return { name, firmware, kernel, cmdline, initrd, osImageHash: toHex(sha256(utf8ToBytes(sha256sum))) };
}

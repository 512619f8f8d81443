import { sha384 } from "@noble/hashes/sha2";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils";
import {
  computeEventDigest,
  DSTACK_RUNTIME_EVENT_TYPE,
  type DstackEvent,
  extendRtmr,
  osImageMeasurement,
} from "@teetee/sdk/attestation";
import { DEFAULT_DEV_OS_IMAGE_NAME, type DevOsImage, devOsImage } from "./devOsImage.js";
import type { DevTeeIdentity } from "./devTeeIdentity.js";
import { bareHex, fromHex, type Hex } from "./hex.js";

/** The VM shape every dev-tee claims; in real TDX, RTMR0 measures it (with the ACPI tables). */
const DEV_VM_CONFIG = "cpu_count=1 memory_size=0";

/**
 * The dev-tee's event log and measurement registers. Events are extended exactly as dstack
 * extends them (digest = SHA-384(le32(type) ":" name ":" payload), rtmr = SHA-384(rtmr ||
 * digest)), so the verifier replays dev and real logs with the same code. MRTD and RTMR0-2 measure
 * the dev OS image as TDX measures a real one (firmware; VM configuration; kernel; command line and
 * initrd), so `replayRtmrs()` of the dstack SDK agrees on all four registers and the image's name
 * fixes its `osImageMeasurement`.
 */
export class MeasurementLog {
  readonly mrTd: Uint8Array;
  readonly #events: DstackEvent[] = [];
  readonly #rtmrs: Uint8Array[] = [0, 1, 2, 3].map(() => new Uint8Array(48));

  /** Measures the OS image into MRTD and RTMR0-2, as the TDX module and firmware do before the OS runs. */
  constructor(image: DevOsImage) {
    this.mrTd = sha384(image.firmware);
    this.extend(0, "teetee-dev-vm-config", utf8ToBytes(DEV_VM_CONFIG));
    this.extend(1, "teetee-dev-kernel", sha384(image.kernel));
    this.extend(2, "teetee-dev-cmdline", utf8ToBytes(image.cmdline));
    this.extend(2, "teetee-dev-initrd", sha384(image.initrd));
  }

  /** Extends an event into register `imr` and appends it to the log. */
  extend(imr: number, event: string, payload: Uint8Array): void {
    const entry = {
      imr,
      event_type: DSTACK_RUNTIME_EVENT_TYPE,
      digest: "",
      event,
      event_payload: bareHex(payload),
    };
    const digest = computeEventDigest(entry);
    this.#rtmrs[imr] = extendRtmr(this.#rtmrs[imr] ?? new Uint8Array(48), digest);
    this.#events.push({ ...entry, digest: bareHex(digest) });
  }

  rtmr(imr: number): Uint8Array {
    return (this.#rtmrs[imr] ?? new Uint8Array(48)).slice();
  }

  events(): DstackEvent[] {
    return this.#events.map((event) => ({ ...event }));
  }

  /**
   * The boot sequence of a dstack CVM booting the identity's OS image, with this instance's identity in RTMR3 and,
   * as dstack does once its KMS has checked the image, the image's `os-image-hash` after `boot-mr-done`.
   */
  static boot(identity: DevTeeIdentity): MeasurementLog {
    const image = devOsImage(identity.osImageName);
    const log = new MeasurementLog(image);
    const text = (value: string) => utf8ToBytes(value);
    log.extend(3, "system-preparing", new Uint8Array(0));
    log.extend(3, "app-id", fromHex(identity.appId));
    log.extend(3, "compose-hash", fromHex(identity.composeHash));
    log.extend(3, "instance-id", fromHex(identity.instanceId));
    log.extend(3, "boot-mr-done", new Uint8Array(0));
    log.extend(3, "os-image-hash", fromHex(image.osImageHash));
    log.extend(
      3,
      "key-provider",
      text(JSON.stringify({ name: "teetee-dev", id: bareHex(fromHex(identity.signerPublicKey)) })),
    );
    log.extend(3, "system-ready", new Uint8Array(0));
    return log;
  }

  /** Hex of every register, as dstack's `/Info` reports them. */
  registers(): { mrtd: string; rtmr0: string; rtmr1: string; rtmr2: string; rtmr3: string } {
    return {
      mrtd: bareHex(this.mrTd),
      rtmr0: bareHex(this.rtmr(0)),
      rtmr1: bareHex(this.rtmr(1)),
      rtmr2: bareHex(this.rtmr(2)),
      rtmr3: bareHex(this.rtmr(3)),
    };
  }

  /** SHA-384 over MRTD and the four RTMRs: one value summarising the measured state. */
  aggregated(): string {
    return bareHex(sha384(concatBytes(this.mrTd, ...[0, 1, 2, 3].map((imr) => this.rtmr(imr)))));
  }
}

/**
 * The `osImageMeasurement` (SHA-256 of MRTD and RTMR0-2) of a dev-tee booting the named OS image: what a model's
 * curator allowlists for dev-tee runners. It depends on the image only, not on the app or the instance.
 */
export function devTeeOsImage(name: string = DEFAULT_DEV_OS_IMAGE_NAME): Hex {
  const log = new MeasurementLog(devOsImage(name));
  return osImageMeasurement({ mrTd: log.mrTd, rtmr0: log.rtmr(0), rtmr1: log.rtmr(1), rtmr2: log.rtmr(2) });
}

import { sha384 } from "@noble/hashes/sha2";
import { concatBytes, utf8ToBytes } from "@noble/hashes/utils";
import { computeEventDigest, DSTACK_RUNTIME_EVENT_TYPE, type DstackEvent, extendRtmr } from "@teetee/sdk";
import type { DevTeeIdentity } from "./devTeeIdentity.js";
import { bareHex, fromHex } from "./hex.js";

/**
 * The dev-tee's event log and measurement registers. Events are extended exactly as dstack
 * extends them (digest = SHA-384(le32(type) ":" name ":" payload), rtmr = SHA-384(rtmr ||
 * digest)), so the verifier replays dev and real logs with the same code. RTMR0-2 get one
 * synthetic event each, so `replayRtmrs()` of the dstack SDK agrees on all four registers.
 */
export class MeasurementLog {
  readonly mrTd: Uint8Array = sha384(utf8ToBytes("TeeTee.DevTee.MRTD.v1"));
  readonly #events: DstackEvent[] = [];
  readonly #rtmrs: Uint8Array[] = [0, 1, 2, 3].map(() => new Uint8Array(48));

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

  /** The boot sequence of a dstack CVM, with this instance's identity in RTMR3. */
  static boot(identity: DevTeeIdentity): MeasurementLog {
    const log = new MeasurementLog();
    const text = (value: string) => utf8ToBytes(value);
    log.extend(0, "teetee-dev-firmware", text("TeeTee dev-tee: not a TEE"));
    log.extend(1, "teetee-dev-kernel", text("TeeTee dev-tee: not a TEE"));
    log.extend(2, "teetee-dev-initrd", text("TeeTee dev-tee: not a TEE"));
    log.extend(3, "system-preparing", new Uint8Array(0));
    log.extend(3, "app-id", fromHex(identity.appId));
    log.extend(3, "compose-hash", fromHex(identity.composeHash));
    log.extend(3, "instance-id", fromHex(identity.instanceId));
    log.extend(3, "boot-mr-done", new Uint8Array(0));
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

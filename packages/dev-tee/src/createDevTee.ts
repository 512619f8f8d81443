import type { AddressInfo } from "node:net";
import { createLimitedServer, type ServerLimits } from "@teetee/sdk/http";
import { createDevTeeApp } from "./createDevTeeApp.js";
import { createDevTeeIdentity, type DevTeeIdentity, type DevTeeOptions } from "./devTeeIdentity.js";
import type { Hex } from "./hex.js";
import { devTeeOsImage, MeasurementLog } from "./measurementLog.js";

/** A running dev-tee: point `DSTACK_SIMULATOR_ENDPOINT` (or `new DstackClient(url)`) at `url`. */
export type DevTee = {
  url: string;
  port: number;
  identity: DevTeeIdentity;
  /** Compressed public key verifiers must list in `devQuoteSigners` (unless it is the default key). */
  signerPublicKey: DevTeeIdentity["signerPublicKey"];
  /** SHA-256(MRTD || RTMR0 || RTMR1 || RTMR2) of its quotes: what a model allowlists (`devTeeOsImage`). */
  osImage: Hex;
  close: () => Promise<void>;
};

/** The identity's options, and the limits of its HTTP server (the SDK's `ServerLimits`; defaults there). */
export type DevTeeServerOptions = DevTeeOptions & { limits?: Partial<ServerLimits> };

/**
 * Starts a development dstack endpoint on 127.0.0.1 (never another interface: its quotes and
 * keys are for local use only). Port 0, the default, picks a free port.
 *
 * @example
 * const tee = await createDevTee({ composeHash: "0x…" });
 * const client = new DstackClient(tee.url);
 * const quote = await client.getQuote(reportData);
 * await tee.close();
 */
export async function createDevTee(options: DevTeeServerOptions = {}): Promise<DevTee> {
  const identity = createDevTeeIdentity(options);
  const app = createDevTeeApp(identity, MeasurementLog.boot(identity));
  // dstack's error shape, which `DstackClient` surfaces as an Error.
  const server = createLimitedServer(app, {
    ...(options.limits === undefined ? {} : { limits: options.limits }),
    errorBody: (_status, _code, message) => ({ error: message }),
  });
  server.listen(options.port ?? 0, "127.0.0.1");
  await new Promise<void>((resolve, reject) => {
    server.once("listening", resolve);
    server.once("error", reject);
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    identity,
    signerPublicKey: identity.signerPublicKey,
    osImage: devTeeOsImage(identity.osImageName),
    close: () =>
      new Promise((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        // Keep-alive sockets of clients (Node's global agent keeps them) would hold close() open.
        server.closeAllConnections();
      }),
  };
}

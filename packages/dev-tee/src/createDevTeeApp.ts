import { describe, TeeTeeError } from "@teetee/errors";
import express, { type NextFunction, type Request, type Response } from "express";
import { z } from "zod";
import { getDevKey } from "./deriveDevKey.js";
import type { DevTeeIdentity } from "./devTeeIdentity.js";
import { bareHex, fromHex } from "./hex.js";
import { issueDevQuote, padReportData } from "./issueDevQuote.js";
import type { MeasurementLog } from "./measurementLog.js";

const bareHexString = z.string().regex(/^(?:0x)?(?:[0-9a-fA-F]{2})*$/, "expected hex");

const getQuoteRequest = z.object({
  report_data: bareHexString.refine(
    (hex) => hex.replace(/^0x/, "").length <= 128,
    "report data is at most 64 bytes",
  ),
});
const getKeyRequest = z.object({
  path: z.string().max(1024).default(""),
  purpose: z.string().max(1024).default(""),
  algorithm: z.string().default("secp256k1"),
});
const emitEventRequest = z.object({ event: z.string().min(1).max(256), payload: bareHexString.default("") });

/** Answers with dstack's error shape (`{ error }`), which `DstackClient` surfaces as an Error. */
class DevTeeRequestError extends TeeTeeError {
  override name = "DevTeeRequestError" as const;
}

function parse<T>(schema: z.ZodType<T>, body: unknown): T {
  const result = schema.safeParse(body ?? {});
  if (!result.success) throw new DevTeeRequestError(z.prettifyError(result.error));
  return result.data;
}

function vmConfig(identity: DevTeeIdentity): string {
  return JSON.stringify({
    spec_version: 1,
    os_image_hash: bareHex(fromHex(identity.osImageHash)),
    cpu_count: 1,
    memory_size: 0,
    image: identity.osImageName,
  });
}

/**
 * The dstack guest-agent HTTP API (`/GetQuote`, `/GetKey`, `/Info`, `/Version`, `/EmitEvent`)
 * over one identity and measurement log, in the JSON shapes `@phala/dstack-sdk` expects.
 */
export function createDevTeeApp(identity: DevTeeIdentity, log: MeasurementLog): express.Express {
  const app = express();
  app.disable("x-powered-by");
  app.use(express.json({ limit: "64kb", type: () => true }));

  app.post("/GetQuote", (req, res) => {
    const { report_data } = parse(getQuoteRequest, req.body);
    const reportData = padReportData(fromHex(report_data));
    res.json({
      quote: bareHex(issueDevQuote(identity, log, reportData)),
      event_log: JSON.stringify(log.events()),
      report_data: bareHex(reportData),
      vm_config: vmConfig(identity),
    });
  });

  app.post("/GetKey", (req, res) => {
    const { path, purpose, algorithm } = parse(getKeyRequest, req.body);
    if (!["secp256k1", "k256", ""].includes(algorithm)) {
      throw new DevTeeRequestError(`algorithm "${algorithm}" is not supported by the dev-tee`);
    }
    res.json(getDevKey(identity, path, purpose));
  });

  app.post("/Info", (_req, res) => {
    const registers = log.registers();
    const common = {
      mr_aggregated: log.aggregated(),
      os_image_hash: bareHex(fromHex(identity.osImageHash)),
      compose_hash: bareHex(fromHex(identity.composeHash)),
      device_id: bareHex(new Uint8Array(32)),
    };
    res.json({
      app_id: bareHex(fromHex(identity.appId)),
      instance_id: bareHex(fromHex(identity.instanceId)),
      app_cert: "",
      tcb_info: JSON.stringify({
        ...registers,
        ...common,
        app_compose: identity.appCompose,
        event_log: log.events(),
      }),
      app_name: identity.appName,
      key_provider_info: JSON.stringify({
        name: "teetee-dev",
        id: bareHex(fromHex(identity.signerPublicKey)),
      }),
      vm_config: vmConfig(identity),
      ...common,
    });
  });

  app.post("/Version", (_req, res) => {
    res.json({ version: "0.5.8-teetee-dev", rev: "teetee-dev-tee" });
  });

  app.post("/EmitEvent", (req, res) => {
    const { event, payload } = parse(emitEventRequest, req.body);
    log.extend(3, event, fromHex(payload));
    res.json({});
  });

  app.use((_req, res) => {
    res.status(404).json({ error: "not found" });
  });

  app.use((error: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const status = error instanceof DevTeeRequestError ? 400 : (clientErrorStatus(error) ?? 500);
    res.status(status).json({ error: describe(error) });
  });

  return app;
}

/** body-parser marks its own failures (malformed JSON 400, too large 413) with a 4xx `status`. */
function clientErrorStatus(error: unknown): number | undefined {
  if (typeof error !== "object" || error === null || !("status" in error)) return undefined;
  const { status } = error as { status: unknown };
  return typeof status === "number" && status >= 400 && status < 500 ? status : undefined;
}

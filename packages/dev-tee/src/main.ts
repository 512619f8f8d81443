import { parseArgs } from "node:util";
import { describe } from "@teetee/errors";
import { createDevTee } from "./createDevTee.js";

const usage = `Usage: pnpm --filter @teetee/dev-tee start [--port 8090] [--compose-hash 0x…] [--app-id 0x…]
       [--instance-id 0x…] [--root-secret 0x…] [--signer-key 0x…] [--os-image name] [--debug]

Serves a development dstack endpoint on 127.0.0.1. Quotes are TeeTee dev quotes, accepted only
by verifiers with allowDevQuotes on a local chain. DEV_TEE_SIGNER_KEY may hold the signer key.`;

async function main(): Promise<void> {
  // `pnpm start -- --port 1` forwards the "--" separator; drop it so the flags parse.
  const args = process.argv.slice(2);
  const { values } = parseArgs({
    args: args[0] === "--" ? args.slice(1) : args,
    options: {
      port: { type: "string", default: "8090" },
      "compose-hash": { type: "string" },
      "app-id": { type: "string" },
      "instance-id": { type: "string" },
      "root-secret": { type: "string" },
      "signer-key": { type: "string" },
      "os-image": { type: "string" },
      debug: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    console.log(usage);
    return;
  }
  const signerKey = values["signer-key"] ?? process.env["DEV_TEE_SIGNER_KEY"];
  const tee = await createDevTee({
    port: Number(values.port),
    debug: values.debug,
    ...(values["compose-hash"] === undefined ? {} : { composeHash: values["compose-hash"] }),
    ...(values["app-id"] === undefined ? {} : { appId: values["app-id"] }),
    ...(values["instance-id"] === undefined ? {} : { instanceId: values["instance-id"] }),
    ...(values["root-secret"] === undefined ? {} : { rootSecret: values["root-secret"] }),
    ...(signerKey === undefined ? {} : { signerPrivateKey: signerKey }),
    ...(values["os-image"] === undefined ? {} : { osImageName: values["os-image"] }),
  });
  console.log(`dev-tee listening: DSTACK_SIMULATOR_ENDPOINT=${tee.url}`);
  console.log(
    `compose hash ${tee.identity.composeHash}, app id ${tee.identity.appId}, instance ${tee.identity.instanceId}`,
  );
  console.log(`dev quote signer ${tee.signerPublicKey}`);
  console.log(
    `OS image ${tee.identity.osImageName}: measurement ${tee.osImage} (allowlist it), os-image-hash ${tee.identity.osImageHash}`,
  );
  const stop = () => {
    tee.close().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  };
  process.once("SIGINT", stop);
  process.once("SIGTERM", stop);
}

main().catch((error: unknown) => {
  console.error(describe(error));
  console.error(usage);
  process.exit(1);
});

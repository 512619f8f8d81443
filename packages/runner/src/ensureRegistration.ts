import {
  ContractRevertError,
  getModel,
  getRunner,
  type Runner,
  type RunnerRegistration,
  refreshAttestation,
  registerRunner,
  signAttestationRefresh,
  signRunnerConsent,
  type TeeTeeClient,
  type TeeTeeContracts,
} from "@teetee/sdk/contracts";
import {
  type PrintedRunnerCall,
  type RunnerAttestationDocument,
  type RunnerRegistrationDocumentJson,
  runnerRegistrationDocumentJson,
} from "@teetee/sdk/protocol";
import type {
  Account,
  Address,
  Chain,
  Hash,
  LocalAccount,
  PublicClient,
  Transport,
  WalletClient,
} from "viem";
import { RunnerStartupError } from "./errors.js";

export type EnsureRegistrationParameters = {
  publicClient: PublicClient;
  /** The contributor's wallet; without it the runner prints the call for the contributor to submit. */
  contributorWallet: WalletClient<Transport, Chain | undefined, Account> | undefined;
  /** Who the printed consent is signed for, when there is no wallet. */
  contributor: Address | undefined;
  runnerAccount: LocalAccount;
  contracts: Pick<TeeTeeContracts, "runnerRegistry" | "modelRegistry">;
  document: RunnerAttestationDocument;
  endpoint: string;
  /** Seconds the runner's signatures stay valid. */
  deadlineSeconds?: number;
};

/** What the runner serves at `/v1/registration` and logs: the SDK's registration document, as JSON. */
export type RegistrationOutcome = RunnerRegistrationDocumentJson;

async function readRunner(
  client: TeeTeeClient,
  params: EnsureRegistrationParameters,
): Promise<Runner | undefined> {
  try {
    return await getRunner(client, { contracts: params.contracts, runner: params.runnerAccount.address });
  } catch (error) {
    if (error instanceof ContractRevertError && error.revert.name === "RunnerNotFound") return undefined;
    throw new RunnerStartupError("Cannot read the runner's on-chain record", { cause: error });
  }
}

/**
 * Brings the on-chain record in line with this runner's fresh attestation: registers it (runner key's
 * consent, contributor's transaction) when it is unknown or inactive, refreshes its quote hash when it
 * changed or half the model's attestation TTL has passed, or, without a contributor wallet, returns the exact
 * call for the contributor to submit. The contributor key is used for signing only and never logged.
 */
export async function ensureRegistration(params: EnsureRegistrationParameters): Promise<RegistrationOutcome> {
  const { publicClient, contributorWallet, runnerAccount, contracts, document } = params;
  const client = publicClient as TeeTeeClient;
  const deadline = BigInt(Math.floor(Date.now() / 1000) + (params.deadlineSeconds ?? 3600));
  const composeHash = document.composeHash;
  if (composeHash === undefined) throw new RunnerStartupError("The quote's event log names no compose hash");
  const osImage = document.osImage;
  if (osImage === undefined)
    throw new RunnerStartupError("The quote carries no TD report, so it names no OS image");
  const record = await readRunner(client, params);
  if (record?.active) {
    if (
      record.modelId.toLowerCase() !== document.modelId.toLowerCase() ||
      record.shardIndex !== document.shardIndex
    ) {
      throw new RunnerStartupError(
        `Runner ${runnerAccount.address} is registered for another model or shard`,
        {
          details: `on-chain shard ${record.shardIndex} of ${record.modelId}`,
          hint: "Deactivate it first, or use a fresh data dir for a new runner identity.",
        },
      );
    }
    const model = await getModel(client, { contracts, modelId: document.modelId });
    const age = Date.now() / 1000 - Number(record.attestedAt);
    if (record.quoteHash === document.quoteHash && age < Number(model.attestationTtl) / 2)
      return { action: "unchanged" };
    const consent = await signAttestationRefresh(client, {
      contracts,
      account: runnerAccount,
      quoteHash: document.quoteHash,
      composeHash,
      osImage,
      deadline,
    });
    const args = {
      runner: runnerAccount.address,
      quoteHash: document.quoteHash,
      composeHash,
      osImage,
      deadline,
      consent,
    };
    if (contributorWallet === undefined)
      return printed({ contract: contracts.runnerRegistry, functionName: "refreshAttestation", args });
    return {
      action: "refreshed",
      transaction: await confirm(publicClient, refreshAttestation(contributorWallet, { contracts, ...args })),
    };
  }
  const registration: RunnerRegistration = {
    runner: runnerAccount.address,
    modelId: document.modelId,
    shardIndex: document.shardIndex,
    endpoint: params.endpoint,
    publicKey: document.publicKey,
    quoteHash: document.quoteHash,
    composeHash,
    osImage,
    deadline,
  };
  const contributor = contributorWallet?.account.address ?? params.contributor;
  if (contributor === undefined)
    return printed({
      contract: contracts.runnerRegistry,
      functionName: "registerRunner",
      args: { registration },
    });
  const consent = await signRunnerConsent(client, {
    contracts,
    account: runnerAccount,
    registration,
    contributor,
  });
  if (contributorWallet === undefined) {
    return printed({
      contract: contracts.runnerRegistry,
      functionName: "registerRunner",
      args: { registration, consent, contributor },
    });
  }
  return {
    action: "registered",
    transaction: await confirm(
      publicClient,
      registerRunner(contributorWallet, { contracts, registration, consent }),
    ),
  };
}

async function confirm(publicClient: PublicClient, sent: Promise<Hash>): Promise<Hash> {
  const hash = await sent;
  const receipt = await publicClient.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new RunnerStartupError(`Registration transaction ${hash} reverted`);
  return hash;
}

/** A contract call for the contributor to submit elsewhere (e.g. with `teetee runner register`), as JSON. */
function printed(call: PrintedRunnerCall): RegistrationOutcome {
  return runnerRegistrationDocumentJson({ action: "printed", call });
}

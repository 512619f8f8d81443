import type {
  Abi,
  Account,
  Address,
  Chain,
  Client,
  ContractFunctionArgs,
  ContractFunctionName,
  ContractFunctionReturnType,
  Hash,
  ReadContractParameters,
  Transport,
  WriteContractParameters,
} from "viem";
import { readContract, writeContract } from "viem/actions";
import { decodeContractError } from "../decodeContractError.js";
import { ContractRevertError, TeeTeeContractError } from "../errors.js";

/** Any viem client: public for reads, wallet (with an account) for writes. */
export type TeeTeeClient = Client<Transport, Chain | undefined, Account | undefined>;

/** Transaction options every write action accepts. */
export interface WriteOptions {
  /** Sender; defaults to the client's account. */
  account?: Account | Address;
  /** Chain; defaults to the client's chain. */
  chain?: Chain | null;
  /** Gas limit; estimated when omitted. */
  gas?: bigint;
}

/** Options every read action accepts. */
export interface ReadOptions {
  /** Read at this block instead of the latest. */
  blockNumber?: bigint;
}

export function toTeeTeeError(error: unknown, action: string): TeeTeeContractError {
  if (error instanceof TeeTeeContractError) return error;
  const decoded = decodeContractError(error);
  if (decoded.data !== undefined) return new ContractRevertError(decoded, error);
  return new TeeTeeContractError(`${action} failed: ${decoded.message}`, { cause: error });
}

/** Sends a contract transaction and returns its hash; a revert becomes a `ContractRevertError`. */
export async function writeTeeTee<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, "nonpayable" | "payable">,
>(
  client: TeeTeeClient,
  options: WriteOptions,
  request: {
    address: Address;
    abi: abi;
    functionName: functionName;
    args: ContractFunctionArgs<abi, "nonpayable" | "payable", functionName>;
  },
): Promise<Hash> {
  const account = options.account ?? client.account;
  if (account === undefined) {
    throw new TeeTeeContractError(`${request.functionName} needs an account.`, {
      hint: "Use a wallet client with an account, or pass `account`.",
    });
  }
  try {
    return await writeContract(client, {
      ...request,
      account,
      chain: options.chain === undefined ? client.chain : options.chain,
      gas: options.gas,
    } as unknown as WriteContractParameters);
  } catch (error) {
    throw toTeeTeeError(error, request.functionName);
  }
}

/** Reads a contract view; a revert becomes a `ContractRevertError`. */
export async function readTeeTee<
  const abi extends Abi,
  functionName extends ContractFunctionName<abi, "view" | "pure">,
  const args extends ContractFunctionArgs<abi, "view" | "pure", functionName>,
>(
  client: TeeTeeClient,
  options: ReadOptions,
  request: { address: Address; abi: abi; functionName: functionName; args: args },
): Promise<ContractFunctionReturnType<abi, "view" | "pure", functionName, args>> {
  try {
    const result = await readContract(client, {
      ...request,
      blockNumber: options.blockNumber,
    } as unknown as ReadContractParameters);
    return result as ContractFunctionReturnType<abi, "view" | "pure", functionName, args>;
  } catch (error) {
    throw toTeeTeeError(error, request.functionName);
  }
}

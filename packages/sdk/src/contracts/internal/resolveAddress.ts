import type { Address } from "viem";
import { MissingContractAddressError } from "../errors.js";
import type { TeeTeeContractName, TeeTeeContracts } from "../types.js";

/** Where an action finds its contract: an explicit `address`, or the matching entry of `contracts`. */
export interface ContractTarget<name extends TeeTeeContractName> {
  /** The contract address; wins over `contracts`. */
  address?: Address;
  /** A deployment's addresses (e.g. `getDeployment(chainId)`). */
  contracts?: Pick<TeeTeeContracts, name>;
}

export function resolveAddress<name extends TeeTeeContractName>(
  target: ContractTarget<name>,
  name: name,
): Address {
  const address = target.address ?? target.contracts?.[name];
  if (address === undefined) throw new MissingContractAddressError(name);
  return address;
}

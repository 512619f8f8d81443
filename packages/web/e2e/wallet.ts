import type { Page } from "playwright-core";
import {
  type Chain,
  createWalletClient,
  type Hex,
  hexToBigInt,
  http,
  type LocalAccount,
  type TypedDataDefinition,
} from "viem";

type RpcError = { code: number; message: string; data?: unknown };
type Outcome = { result: unknown } | { error: RpcError };

/**
 * A test wallet behind an injected EIP-1193 provider: the page's `window.ethereum` forwards every request to
 * this object in Node, which signs with a viem local account and reads through the chain's RPC. Tests make it
 * switch chains or reject the next request of a method, as a person would in a real wallet.
 */
export class TestWallet {
  chainId: number;
  /** Whether the page was granted the account (as after a real wallet's connection prompt). */
  connected = false;
  private readonly rejections = new Set<string>();
  private page: Page | undefined;

  constructor(
    readonly account: LocalAccount,
    readonly chain: Chain,
    readonly rpcUrl: string,
  ) {
    this.chainId = chain.id;
  }

  /** The next request of `method` fails as if the person pressed "Reject". */
  rejectNext(method: string): void {
    this.rejections.add(method);
  }

  /** The wallet moves to another chain on its own (and tells the page). */
  async setChain(chainId: number): Promise<void> {
    this.chainId = chainId;
    await this.emit("chainChanged", `0x${chainId.toString(16)}`);
  }

  async attach(page: Page): Promise<void> {
    this.page = page;
    await page.exposeFunction("__teeteeWallet", async (method: string, params: string) =>
      JSON.stringify(await this.handle(method, JSON.parse(params) as unknown[]), (_k, v) =>
        typeof v === "bigint" ? `0x${v.toString(16)}` : v,
      ),
    );
    await page.addInitScript(() => {
      type Listener = (value: unknown) => void;
      const listeners: Record<string, Listener[]> = {};
      const bridge = (window as unknown as { __teeteeWallet: (m: string, p: string) => Promise<string> })
        .__teeteeWallet;
      const provider = {
        isTeeTeeTestWallet: true,
        async request({ method, params }: { method: string; params?: unknown }) {
          const out = JSON.parse(await bridge(method, JSON.stringify(params ?? []))) as {
            result?: unknown;
            error?: { code: number; message: string; data?: unknown };
          };
          if (out.error) throw Object.assign(new Error(out.error.message), out.error);
          return out.result;
        },
        on(event: string, listener: Listener) {
          listeners[event] = [...(listeners[event] ?? []), listener];
        },
        removeListener(event: string, listener: Listener) {
          listeners[event] = (listeners[event] ?? []).filter((l) => l !== listener);
        },
      };
      Object.assign(window, {
        ethereum: provider,
        __teeteeEmit: (event: string, value: unknown) => {
          for (const listener of listeners[event] ?? []) listener(value);
        },
      });
    });
  }

  private async emit(event: string, value: unknown): Promise<void> {
    await this.page?.evaluate(
      ([e, v]) => (window as unknown as { __teeteeEmit: (e: string, v: unknown) => void }).__teeteeEmit(e, v),
      [event, value] as const,
    );
  }

  private async handle(method: string, params: unknown[]): Promise<Outcome> {
    if (this.rejections.delete(method))
      return { error: { code: 4001, message: "User rejected the request." } };
    try {
      return { result: await this.answer(method, params) };
    } catch (error) {
      const data = revertData(error);
      // Wallets answer a reverting transaction as the node does: code 3 with the revert data.
      if (data !== undefined) return { error: { code: 3, message: "execution reverted", data } };
      const e = error as { code?: number; message?: string };
      return { error: { code: e.code ?? -32603, message: e.message ?? String(error) } };
    }
  }

  private async answer(method: string, params: unknown[]): Promise<unknown> {
    switch (method) {
      case "eth_requestAccounts":
        this.connected = true;
        return [this.account.address];
      case "eth_accounts":
        return this.connected ? [this.account.address] : [];
      case "eth_chainId":
        return `0x${this.chainId.toString(16)}`;
      case "wallet_switchEthereumChain": {
        const target = Number.parseInt((params[0] as { chainId: string }).chainId, 16);
        if (target !== this.chain.id) throw Object.assign(new Error("Unrecognized chain"), { code: 4902 });
        this.chainId = target;
        setTimeout(() => void this.emit("chainChanged", `0x${target.toString(16)}`), 0);
        return null;
      }
      case "eth_signTypedData_v4":
        return this.account.signTypedData(normalizeTypedData(JSON.parse(params[1] as string)));
      case "eth_sendTransaction":
        return this.sendTransaction(params[0] as Record<string, Hex | undefined>);
      default:
        return this.rpc(method, params);
    }
  }

  private async sendTransaction(tx: Record<string, Hex | undefined>): Promise<Hex> {
    if (this.chainId !== this.chain.id)
      throw Object.assign(new Error("Wallet is on another chain"), { code: 4901 });
    const client = createWalletClient({
      account: this.account,
      chain: this.chain,
      transport: http(this.rpcUrl),
    });
    return client.sendTransaction({
      to: tx["to"],
      data: tx["data"],
      value: tx["value"] === undefined ? 0n : hexToBigInt(tx["value"]),
      ...(tx["gas"] === undefined ? {} : { gas: hexToBigInt(tx["gas"]) }),
    });
  }

  private async rpc(method: string, params: unknown[]): Promise<unknown> {
    const response = await fetch(this.rpcUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ jsonrpc: "2.0", id: 1, method, params }),
    });
    const body = (await response.json()) as { result?: unknown; error?: RpcError };
    if (body.error) throw Object.assign(new Error(body.error.message), body.error);
    return body.result;
  }
}

/** Revert data anywhere along a viem error's cause chain. */
function revertData(error: unknown): Hex | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 16 && typeof current === "object" && current !== null; depth++) {
    const { data, cause } = current as { data?: unknown; cause?: unknown };
    if (typeof data === "string" && /^0x[0-9a-fA-F]{8,}$/.test(data)) return data as Hex;
    current = cause;
  }
  return undefined;
}

type TypedField = { name: string; type: string };

/** JSON typed data carries integers as strings; viem's signer wants bigints for them. */
function normalizeTypedData(data: {
  domain: Record<string, unknown>;
  types: Record<string, TypedField[]>;
  primaryType: string;
  message: Record<string, unknown>;
}): TypedDataDefinition {
  const convert = (type: string, value: unknown): unknown => {
    if (type.endsWith("[]")) return (value as unknown[]).map((v) => convert(type.slice(0, -2), v));
    if (/^u?int\d*$/.test(type)) return BigInt(value as string);
    const fields = data.types[type];
    if (fields === undefined) return value;
    const record = value as Record<string, unknown>;
    return Object.fromEntries(fields.map((f) => [f.name, convert(f.type, record[f.name])]));
  };
  const { EIP712Domain: _domain, ...types } = data.types;
  const domain = { ...data.domain };
  if (domain["chainId"] !== undefined) domain["chainId"] = Number(domain["chainId"]);
  return {
    domain,
    types,
    primaryType: data.primaryType,
    message: convert(data.primaryType, data.message) as Record<string, unknown>,
  } as unknown as TypedDataDefinition;
}

import { allocate, type EscrowAccount } from "@teetee/sdk/contracts";
import { useState } from "react";
import type { Address } from "viem";
import { confirm } from "../../chain/confirm.js";
import { formatToken, parseTokenInput, shortAddress } from "../../chain/format.js";
import { useChainRead } from "../../chain/useChainRead.js";
import { type ActionPlan, useAction } from "../../components/ActionDialog.js";
import { AmountField, Card, Stat } from "../../components/ui.js";
import { InsufficientBalanceError } from "../../wallet/describeError.js";
import { type ConnectedWallet, useWallet } from "../../wallet/WalletContext.js";
import { type RouteAllocationRow, readRouteAllocations } from "./readRouteAllocations.js";

type Props = { buyer: Address; account: EscrowAccount | undefined };

function useAllocatePlan() {
  const { config, token, publicClient } = useWallet();
  return (
    client: ConnectedWallet,
    total: bigint,
    available: bigint,
    routes: RouteAllocationRow[],
  ): ActionPlan => {
    const each = total / BigInt(routes.length);
    return {
      title: `Allocate ${formatToken(total, token)} to ${routes.length} route${routes.length === 1 ? "" : "s"}`,
      summary:
        "Sets part of your deposit aside for each route (one runner per shard) a gateway may send your requests " +
        "to. Runners serve you only against their route's allocation, which only that route's requests can spend; " +
        "you take it back with a release that thaws like a withdrawal.",
      facts: [
        { label: "Each route", value: formatToken(each, token) },
        { label: "Available in your deposit", value: formatToken(available, token) },
      ],
      steps: routes.map((r) => ({
        kind: "transaction" as const,
        title: `Allocate to ${r.route.map((a) => shortAddress(a)).join(" → ")}`,
        detail: "One transaction; you pay the network fee in ETH.",
      })),
      execute: async (advance) => {
        if (total > available) {
          throw new InsufficientBalanceError(
            `Your deposit has ${formatToken(available, token)} available; you asked to allocate ${formatToken(total, token)}.`,
          );
        }
        for (const [i, r] of routes.entries()) {
          advance(i);
          await confirm(
            publicClient,
            allocate(client, {
              contracts: config.contracts,
              modelId: r.modelId,
              route: r.route,
              amount: each,
            }),
          );
        }
      },
      success: `${formatToken(each * BigInt(routes.length), token)} is set aside for your routes.`,
    };
  };
}

/** What the buyer set aside per route: what runners serve it against. */
export function RoutesCard({ buyer, account }: Props) {
  const { token, config, publicClient, walletClient } = useWallet();
  const run = useAction();
  const plan = useAllocatePlan();
  const [text, setText] = useState("");
  const amount = parseTokenInput(text, token.decimals);
  const rows = useChainRead(
    () => readRouteAllocations(publicClient, config.contracts, buyer),
    [buyer, publicClient],
  );
  const routes = rows.data ?? [];
  const allocated = routes.reduce((sum, r) => sum + r.amount, 0n);
  const available = account === undefined ? undefined : account.balance - account.thawing;
  const start = () => {
    if (walletClient === undefined || amount === undefined || available === undefined || routes.length === 0)
      return;
    run(plan(walletClient, amount, available, routes));
  };
  return (
    <Card title="Routes" subtitle="What runners serve your API keys against" testId="routes">
      <div className="stats">
        <Stat
          label="Allocated to routes"
          value={rows.data === undefined ? "…" : formatToken(allocated, token)}
          testId="allocated"
          tone="accent"
        />
      </div>
      <ul className="route-allocations" data-testid="route-allocations">
        {routes.map((r) => (
          <li key={`${r.modelId}:${r.route.join(",")}`}>
            {r.route.map((a) => shortAddress(a)).join(" → ")}: {formatToken(r.amount, token)}
            {r.releasing > 0n ? ` (${formatToken(r.releasing, token)} releasing)` : ""}
          </li>
        ))}
      </ul>
      <div className="form-row">
        <AmountField
          id="allocate-amount"
          label="Allocate to every route"
          value={text}
          onChange={setText}
          symbol={token.symbol}
          hint="Split evenly over the routes above, one transaction each."
        />
        <button
          type="button"
          className="btn btn-primary"
          disabled={amount === undefined || walletClient === undefined || routes.length === 0}
          onClick={start}
        >
          Allocate
        </button>
      </div>
    </Card>
  );
}

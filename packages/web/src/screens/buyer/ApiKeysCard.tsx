import { paymentEscrowAbi } from "@teetee/contracts/abi";
import { authorizeSigner, getSessionSigner, revokeSigner, type SessionSigner } from "@teetee/sdk/contracts";
import { formatApiKey } from "@teetee/sdk/payments";
import { useState } from "react";
import type { Address, Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { confirm } from "../../chain/confirm.js";
import {
  formatDate,
  formatDuration,
  formatToken,
  parseTokenInput,
  shortAddress,
} from "../../chain/format.js";
import { useChainNow, useChainRead } from "../../chain/useChainRead.js";
import { useAction } from "../../components/ActionDialog.js";
import { AmountField, Card, Empty, ErrorNote, Pill } from "../../components/ui.js";
import { useWallet } from "../../wallet/WalletContext.js";
import { KeyReveal } from "./KeyReveal.js";

const expiryChoices = [
  { days: 1, label: "1 day" },
  { days: 7, label: "7 days" },
  { days: 30, label: "30 days" },
  { days: 90, label: "90 days" },
];

type KeyRow = { signer: Address; createdAt: bigint; revoked: boolean; state: SessionSigner };

function useKeys(buyer: Address) {
  const { publicClient, config } = useWallet();
  return useChainRead(async (): Promise<KeyRow[]> => {
    const events = await publicClient.getContractEvents({
      address: config.contracts.paymentEscrow,
      abi: paymentEscrowAbi,
      eventName: "SignerAuthorized",
      args: { buyer },
      fromBlock: config.startBlock,
    });
    const revocations = await publicClient.getContractEvents({
      address: config.contracts.paymentEscrow,
      abi: paymentEscrowAbi,
      eventName: "SignerRevoked",
      args: { buyer },
      fromBlock: config.startBlock,
    });
    const revokedAt = new Map(revocations.map((e) => [e.args.signer, e.blockNumber]));
    const firstSeen = new Map<Address, bigint>();
    for (const event of events) {
      if (event.args.signer && !firstSeen.has(event.args.signer))
        firstSeen.set(event.args.signer, event.blockNumber);
    }
    const rows = await Promise.all(
      [...firstSeen].map(async ([signer, createdAt]) => ({
        signer,
        createdAt,
        revoked: (revokedAt.get(signer) ?? -1n) >= (lastAuthorized(events, signer) ?? 0n),
        state: await getSessionSigner(publicClient, { contracts: config.contracts, buyer, signer }),
      })),
    );
    return rows.reverse();
  }, [buyer, publicClient]);
}

function lastAuthorized(
  events: readonly { args: { signer?: Address }; blockNumber: bigint }[],
  signer: Address,
) {
  return events.filter((e) => e.args.signer === signer).at(-1)?.blockNumber;
}

function KeyStatus({ row, now }: { row: KeyRow; now: number }) {
  const revoked = row.revoked;
  const until = Number(row.state.validUntil);
  if (until <= now) return <Pill tone="neutral">{revoked ? "Revoked" : "Expired"}</Pill>;
  if (revoked) return <Pill tone="warn">Revoking · {formatDuration(until - now)} left</Pill>;
  if (row.state.spent >= row.state.spendLimit) return <Pill tone="warn">Limit reached</Pill>;
  return <Pill tone="ok">Active</Pill>;
}

/** Creating an API key (a session signer made here, authorised on-chain), and the keys made so far. */
export function ApiKeysCard({ buyer }: { buyer: Address }) {
  const { token, config, publicClient, walletClient } = useWallet();
  const run = useAction();
  const now = useChainNow();
  const keys = useKeys(buyer);
  const [limitText, setLimitText] = useState("10");
  const [days, setDays] = useState(30);
  const limit = parseTokenInput(limitText, token.decimals);

  const create = () => {
    if (walletClient === undefined || limit === undefined) return;
    const sessionKey: Hex = generatePrivateKey();
    const signer = privateKeyToAccount(sessionKey).address;
    const expiry = BigInt(now + days * 86_400);
    const apiKey = formatApiKey({ buyer, sessionPrivateKey: sessionKey });
    run({
      title: "Create an API key",
      summary:
        "A new key was generated in this browser. This transaction authorises it to sign payments from your deposit, " +
        "up to the spend limit and until it expires. The key itself never leaves this page.",
      facts: [
        { label: "Spend limit", value: formatToken(limit, token) },
        { label: "Expires", value: `${formatDate(Number(expiry))} (in ${days} days)` },
        { label: "Key address", value: signer },
      ],
      steps: [
        {
          kind: "transaction",
          title: "Authorise the key on-chain",
          detail: "Calls PaymentEscrow.authorizeSigner; you pay the network fee in ETH.",
        },
      ],
      execute: async (advance) => {
        advance(0);
        await confirm(
          publicClient,
          authorizeSigner(walletClient, { contracts: config.contracts, signer, spendLimit: limit, expiry }),
        );
      },
      success: "Your API key is ready. Copy it now: it is shown only once.",
      after: () => <KeyReveal apiKey={apiKey} />,
    });
  };

  const revoke = (signer: Address) => {
    if (walletClient === undefined) return;
    run({
      title: "Revoke this API key",
      summary:
        "The key stops working once the thaw period has passed, so requests it already made can still be paid. " +
        "Anyone holding the key can use it until then, within its limit.",
      facts: [{ label: "Key address", value: signer }],
      steps: [
        {
          kind: "transaction",
          title: "Revoke the key",
          detail: "Calls PaymentEscrow.revokeSigner; you pay the network fee in ETH.",
        },
      ],
      execute: async (advance) => {
        advance(0);
        await confirm(publicClient, revokeSigner(walletClient, { contracts: config.contracts, signer }));
      },
      success: "The key is being revoked.",
    });
  };

  return (
    <Card
      title="API keys"
      subtitle="Use them with any OpenAI client; each has its own limit and expiry"
      testId="api-keys"
    >
      <div className="form-row">
        <AmountField
          id="key-limit"
          label="Spend limit"
          value={limitText}
          onChange={setLimitText}
          symbol={token.symbol}
        />
        <div className="field">
          <label htmlFor="key-expiry">Expires after</label>
          <select id="key-expiry" value={days} onChange={(e) => setDays(Number(e.target.value))}>
            {expiryChoices.map((c) => (
              <option key={c.days} value={c.days}>
                {c.label}
              </option>
            ))}
          </select>
        </div>
        <button
          type="button"
          className="btn btn-primary"
          disabled={limit === undefined || !walletClient}
          onClick={create}
        >
          Create API key
        </button>
      </div>
      <ErrorNote message={keys.error} />
      {keys.data?.length === 0 && <Empty>No API keys yet.</Empty>}
      {keys.data && keys.data.length > 0 && (
        <div className="table-wrap">
          <table className="table" data-testid="key-list">
            <thead>
              <tr>
                <th>Key</th>
                <th>Status</th>
                <th className="num">Spent</th>
                <th className="num">Limit</th>
                <th>Valid until</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {keys.data.map((row) => {
                const live = Number(row.state.validUntil) > now;
                return (
                  <tr key={row.signer}>
                    <td data-label="Key" className="mono nowrap" title={row.signer}>
                      {shortAddress(row.signer)}
                    </td>
                    <td data-label="Status">
                      <KeyStatus row={row} now={now} />
                    </td>
                    <td data-label="Spent" className="num nowrap">
                      {formatToken(row.state.spent, token)}
                    </td>
                    <td data-label="Limit" className="num nowrap">
                      {formatToken(row.state.spendLimit, token)}
                    </td>
                    <td data-label="Valid until">{formatDate(Number(row.state.validUntil))}</td>
                    <td className="num">
                      {live && !row.revoked && (
                        <button
                          type="button"
                          className="btn btn-small btn-ghost"
                          onClick={() => revoke(row.signer)}
                        >
                          Revoke
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </Card>
  );
}

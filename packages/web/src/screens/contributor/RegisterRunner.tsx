import { registerRunner } from "@teetee/sdk/contracts";
import { useState } from "react";
import type { Address } from "viem";
import { confirm } from "../../chain/confirm.js";
import { useChainNow } from "../../chain/useChainRead.js";
import { useAction } from "../../components/ActionDialog.js";
import { CheckList } from "../../components/CheckList.js";
import { describeError } from "../../wallet/describeError.js";
import { useWallet } from "../../wallet/WalletContext.js";
import { checkRunner, fetchAttestation, fetchConsent, type RunnerReport } from "./checkRunner.js";
import { parseRunnerConsent, type RunnerConsent } from "./runnerConsent.js";

/** Register a runner from its URL: fetch its attestation and consent, verify and show each check, then submit. */
export function RegisterRunner({ contributor, onDone }: { contributor: Address; onDone: () => void }) {
  const wallet = useWallet();
  const { config, publicClient, token, walletClient } = wallet;
  const run = useAction();
  const now = useChainNow();
  const [endpoint, setEndpoint] = useState("");
  const [pasted, setPasted] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [report, setReport] = useState<RunnerReport>();
  const [consent, setConsent] = useState<RunnerConsent>();

  const check = async () => {
    setBusy(true);
    setError(undefined);
    setReport(undefined);
    try {
      const url = endpoint.trim();
      const document = await fetchAttestation(config, url);
      let signed: RunnerConsent | undefined;
      if (pasted.trim()) signed = parseRunnerConsent(JSON.parse(pasted));
      else signed = await fetchConsent(config, url).then(parseRunnerConsent, () => undefined);
      setConsent(signed);
      setReport(
        await checkRunner({
          config,
          publicClient,
          token,
          contributor,
          document,
          consent: signed,
          now,
        }),
      );
    } catch (cause) {
      setError(describeError(cause).message);
    } finally {
      setBusy(false);
    }
  };

  const submit = () => {
    if (walletClient === undefined || consent === undefined || report?.document === undefined) return;
    const doc = report.document;
    run({
      title: `Register runner for shard ${doc.shardIndex}`,
      summary:
        "Records this runner on-chain under your address and locks the model's minimum stake while it is active. " +
        "Buyers' requests are then routed to it, and you earn its shard's share of what they pay.",
      facts: [
        { label: "Runner", value: doc.runner },
        { label: "Endpoint", value: consent.registration.endpoint },
        { label: "Model", value: doc.modelId },
        { label: "Shard", value: String(doc.shardIndex) },
      ],
      steps: [
        {
          kind: "transaction",
          title: "Register the runner",
          detail:
            "Calls RunnerRegistry.registerRunner with the runner's consent; you pay the network fee in ETH.",
        },
      ],
      execute: async (advance) => {
        advance(0);
        await confirm(
          publicClient,
          registerRunner(walletClient, {
            contracts: config.contracts,
            registration: consent.registration,
            consent: consent.consent,
          }),
        );
        onDone();
      },
      success: "The runner is registered and its stake locked.",
    });
  };

  return (
    <div className="register" data-testid="register-runner">
      <div className="form-row">
        <div className="field grow">
          <label htmlFor="runner-url">Runner URL</label>
          <input
            id="runner-url"
            placeholder="https://runner.example.com"
            value={endpoint}
            onChange={(e) => setEndpoint(e.target.value)}
          />
          <span className="field-hint">
            The app fetches its attestation and asks it to sign consent for your address.
          </span>
        </div>
        <button
          type="button"
          className="btn btn-primary"
          disabled={busy || endpoint.trim() === ""}
          onClick={check}
        >
          {busy ? "Checking…" : "Check runner"}
        </button>
      </div>
      <details>
        <summary>Paste the consent the runner printed instead</summary>
        <textarea
          rows={4}
          className="mono"
          value={pasted}
          onChange={(e) => setPasted(e.target.value)}
          placeholder='{"registration": {...}, "consent": "0x…"}'
        />
      </details>
      {error && (
        <p className="alert alert-error" role="alert">
          {error}
        </p>
      )}
      {report && <CheckList checks={report.checks} testId="runner-checks" />}
      {report && (
        <div className="dialog-actions">
          <button
            type="button"
            className="btn btn-primary"
            disabled={!report.ok || !walletClient}
            onClick={submit}
          >
            {report.ok ? "Register runner" : "Fix the failed checks to register"}
          </button>
        </div>
      )}
    </div>
  );
}

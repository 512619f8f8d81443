import { describe } from "@teetee/errors";
import { useState } from "react";
import { formatToken, shortAddress } from "../../chain/format.js";
import { CheckList } from "../../components/CheckList.js";
import { Card, ErrorNote, Pill } from "../../components/ui.js";
import { useWallet } from "../../wallet/WalletContext.js";
import { checkAnswerReceipts, type ReceiptReport } from "./checkAnswerReceipts.js";

type RouteHop = { shard: number; runner: string; contributor: string; attestation: { status: string } };
type Answer = {
  text: string;
  usage: { prompt_tokens: number; completion_tokens: number } | undefined;
  cost: bigint | undefined;
  free: boolean;
  route: RouteHop[];
  latencyMs: number;
  /** The answer's receipt bundle as the gateway sent it (`teetee.receipts`), unparsed. */
  receipts: unknown;
};

type CompletionBody = {
  choices?: { message?: { content?: string } }[];
  usage?: { prompt_tokens: number; completion_tokens: number };
  teetee?: { cost?: string; route?: RouteHop[]; payment?: { free?: boolean }; receipts?: unknown };
  error?: { message?: string };
};

async function ask(gatewayUrl: string, apiKey: string, prompt: string, maxTokens: number): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`${gatewayUrl}/v1/chat/completions`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${apiKey.trim()}` },
    body: JSON.stringify({
      model: "teetee",
      messages: [{ role: "user", content: prompt }],
      max_tokens: maxTokens,
    }),
  });
  const body = (await response.json().catch(() => ({}))) as CompletionBody;
  if (!response.ok) throw new Error(body.error?.message ?? `The gateway answered HTTP ${response.status}.`);
  return {
    text: body.choices?.[0]?.message?.content ?? "",
    usage: body.usage,
    cost: body.teetee?.cost === undefined ? undefined : BigInt(body.teetee.cost),
    free: body.teetee?.payment?.free === true,
    route: body.teetee?.route ?? [],
    receipts: body.teetee?.receipts,
    latencyMs: Math.round(performance.now() - started),
  };
}

/** Whether the last answer's receipts verified: nothing while there are none, then "Verifying…", then each check. */
function AnswerReceipts({ report }: { report: ReceiptReport | "verifying" | undefined }) {
  if (report === undefined) return null;
  if (report === "verifying") return <p className="muted small">Verifying the receipts…</p>;
  return (
    <div data-testid="answer-receipts">
      <p className="small">
        Receipts <Pill tone={report.ok ? "ok" : "warn"}>{report.ok ? "verified" : "not verified"}</Pill>
      </p>
      <CheckList checks={report.checks} testId="receipt-checks" />
    </div>
  );
}

/**
 * Chat with the gateway using an API key; each answer shows its route through the shards and its cost, and the
 * last one the check of its receipts, verified here in the browser against the chain, its text included (with the
 * model's tokenizer, downloaded from the gateway and checked against the model id).
 */
export function Playground() {
  const { config, token, publicClient } = useWallet();
  const [apiKey, setApiKey] = useState("");
  const [prompt, setPrompt] = useState("Write one sentence about trusted execution.");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string>();
  const [answers, setAnswers] = useState<(Answer & { prompt: string; id: number })[]>([]);
  const [receipts, setReceipts] = useState<{ id: number; report: ReceiptReport | "verifying" | undefined }>();
  const gatewayUrl = config.gatewayUrl;
  const send = async () => {
    if (gatewayUrl === null) return;
    setBusy(true);
    setError(undefined);
    try {
      const answer = await ask(gatewayUrl, apiKey, prompt, 24);
      const id = answers.length + 1;
      setAnswers((a) => [{ ...answer, prompt, id }, ...a]);
      if (answer.receipts !== undefined) {
        setReceipts({ id, report: "verifying" });
        checkAnswerReceipts(publicClient, config, answer.receipts, { text: answer.text, gatewayUrl }).then(
          (report) => setReceipts((r) => (r?.id === id ? { id, report } : r)),
          (cause: unknown) =>
            setReceipts((r) =>
              r?.id === id
                ? {
                    id,
                    report: {
                      ok: false,
                      checks: [
                        {
                          title: "Receipts were checked against the chain",
                          status: "fail",
                          detail: describe(cause),
                        },
                      ],
                    },
                  }
                : r,
            ),
        );
      } else {
        setReceipts(undefined);
      }
    } catch (cause) {
      setError(describe(cause));
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card
      title="Playground"
      subtitle="Try a model through the gateway with one of your API keys"
      testId="playground"
    >
      {gatewayUrl === null ? (
        <p className="muted">No gateway is configured for this network.</p>
      ) : (
        <>
          <div className="field">
            <label htmlFor="pg-key">API key</label>
            <input
              id="pg-key"
              type="password"
              autoComplete="off"
              placeholder="tt_…"
              value={apiKey}
              onChange={(e) => setApiKey(e.target.value)}
            />
          </div>
          <div className="field">
            <label htmlFor="pg-prompt">Message</label>
            <textarea id="pg-prompt" rows={3} value={prompt} onChange={(e) => setPrompt(e.target.value)} />
          </div>
          <div className="dialog-actions">
            <button
              type="button"
              className="btn btn-primary"
              disabled={busy || !apiKey.trim() || !prompt.trim()}
              onClick={send}
            >
              {busy ? "Generating…" : "Send"}
            </button>
          </div>
          <ErrorNote message={error} />
          {answers.map((a) => (
            <div className="answer" key={a.id} data-testid="answer">
              <p className="muted small">You: {a.prompt}</p>
              <p className="answer-text">{a.text || <em>(empty answer)</em>}</p>
              <div className="answer-meta">
                <span>
                  Cost{" "}
                  <strong data-testid="answer-cost">
                    {a.free ? "free (contributor)" : a.cost === undefined ? "—" : formatToken(a.cost, token)}
                  </strong>
                </span>
                {a.usage && (
                  <span>
                    {a.usage.prompt_tokens} in / {a.usage.completion_tokens} out tokens
                  </span>
                )}
                <span>{(a.latencyMs / 1000).toFixed(1)} s</span>
              </div>
              <ol className="route">
                {a.route.map((hop) => (
                  <li key={`${hop.shard}-${hop.runner}`}>
                    <span className="muted small">Shard {hop.shard}</span>
                    <span className="mono">{shortAddress(hop.runner as `0x${string}`)}</span>
                    <Pill tone={hop.attestation.status === "verified" ? "ok" : "warn"}>
                      {hop.attestation.status}
                    </Pill>
                  </li>
                ))}
              </ol>
              {receipts?.id === a.id && <AnswerReceipts report={receipts.report} />}
            </div>
          ))}
        </>
      )}
    </Card>
  );
}

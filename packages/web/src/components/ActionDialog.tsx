import { createContext, type ReactNode, useCallback, useContext, useState } from "react";
import { type DescribedError, describeError, WrongChainError } from "../wallet/describeError.js";
import { useWallet } from "../wallet/WalletContext.js";

/** One wallet prompt the action will open, explained before it opens. */
export type ActionStep = { kind: "signature" | "transaction"; title: string; detail: string };

/** Everything a person sees before approving: what happens, to what, for how much. */
export type ActionPlan = {
  title: string;
  summary: string;
  facts: { label: string; value: string }[];
  steps: ActionStep[];
  /** Runs the steps; calls `advance(i)` as step i starts. Throws to fail. */
  execute: (advance: (step: number) => void) => Promise<void>;
  success: string;
  /** Shown after success, instead of closing (e.g. an API key shown once). */
  after?: () => ReactNode;
};

type Phase =
  | { name: "review" }
  | { name: "running"; step: number }
  | { name: "done" }
  | { name: "failed"; error: DescribedError };

const ActionContext = createContext<(plan: ActionPlan) => void>(() => {});

export function useAction(): (plan: ActionPlan) => void {
  return useContext(ActionContext);
}

function StepList({ plan, phase }: { plan: ActionPlan; phase: Phase }) {
  return (
    <ol className="steps">
      {plan.steps.map((step, i) => {
        const state =
          phase.name === "done"
            ? "done"
            : phase.name === "running"
              ? i < phase.step
                ? "done"
                : i === phase.step
                  ? "active"
                  : "todo"
              : "todo";
        return (
          <li key={step.title} className={`step step-${state}`}>
            <span className="step-kind">{step.kind === "signature" ? "Signature" : "Transaction"}</span>
            <strong>{step.title}</strong>
            <span className="muted">{step.detail}</span>
            {state === "active" && (
              <span className="step-wait" role="status">
                Waiting for your wallet and the network…
              </span>
            )}
          </li>
        );
      })}
    </ol>
  );
}

function Dialog({ plan, onClose }: { plan: ActionPlan; onClose: () => void }) {
  const wallet = useWallet();
  const [phase, setPhase] = useState<Phase>({ name: "review" });
  const start = async () => {
    try {
      if (wallet.walletChainId !== wallet.config.chainId) {
        throw new WrongChainError(wallet.walletChainId ?? 0, wallet.config.chainId, wallet.config.chainName);
      }
      setPhase({ name: "running", step: 0 });
      await plan.execute((step) => setPhase({ name: "running", step }));
      setPhase({ name: "done" });
      wallet.refresh();
    } catch (error) {
      setPhase({ name: "failed", error: describeError(error, wallet.token) });
      wallet.refresh();
    }
  };
  const busy = phase.name === "running";
  const prompts = plan.steps.length;
  return (
    <div className="overlay">
      <div className="dialog" role="dialog" aria-modal="true" aria-labelledby="dialog-title">
        <h2 id="dialog-title">{plan.title}</h2>
        <p>{plan.summary}</p>
        {phase.name === "failed" && (
          <div className="alert alert-error" role="alert">
            <strong>{phase.error.title}</strong>
            <p>{phase.error.message}</p>
            {phase.error.code && <p className="muted mono">Contract error: {phase.error.code}</p>}
          </div>
        )}
        <dl className="facts">
          {plan.facts.map((fact) => (
            <div key={fact.label}>
              <dt>{fact.label}</dt>
              <dd>{fact.value}</dd>
            </div>
          ))}
        </dl>
        <StepList plan={plan} phase={phase} />
        {phase.name === "done" && (
          <div className="alert alert-ok" role="status">
            <strong>Done.</strong> {plan.success}
          </div>
        )}
        {phase.name === "done" && plan.after?.()}
        <div className="dialog-actions">
          {phase.name === "review" && (
            <>
              <button type="button" className="btn btn-ghost" onClick={onClose}>
                Cancel
              </button>
              <button type="button" className="btn btn-primary" onClick={start}>
                {prompts === 1 ? "Open wallet" : `Open wallet (${prompts} prompts)`}
              </button>
            </>
          )}
          {phase.name === "failed" && (
            <>
              <button type="button" className="btn btn-ghost" onClick={onClose}>
                Close
              </button>
              <button type="button" className="btn btn-primary" onClick={start}>
                Try again
              </button>
            </>
          )}
          {busy && (
            <button type="button" className="btn btn-ghost" disabled>
              Working…
            </button>
          )}
          {phase.name === "done" && (
            <button type="button" className="btn btn-primary" onClick={onClose}>
              Close
            </button>
          )}
        </div>
      </div>
    </div>
  );
}

/** Hosts the one explain-then-approve dialog every wallet action goes through. */
export function ActionHost({ children }: { children: ReactNode }) {
  const [open, setOpen] = useState<{ plan: ActionPlan; id: number }>();
  const run = useCallback(
    (plan: ActionPlan) => setOpen((current) => ({ plan, id: (current?.id ?? 0) + 1 })),
    [],
  );
  return (
    <ActionContext.Provider value={run}>
      {children}
      {open && <Dialog key={open.id} plan={open.plan} onClose={() => setOpen(undefined)} />}
    </ActionContext.Provider>
  );
}

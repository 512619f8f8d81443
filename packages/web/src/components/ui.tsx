import { type ReactNode, useState } from "react";
import { formatDuration } from "../chain/format.js";

export function Card({
  title,
  subtitle,
  actions,
  children,
  className,
  testId,
}: {
  title: string;
  subtitle?: ReactNode;
  actions?: ReactNode;
  children: ReactNode;
  className?: string;
  testId?: string;
}) {
  return (
    <section className={`card ${className ?? ""}`} data-testid={testId}>
      <header className="card-head">
        <div>
          <h2>{title}</h2>
          {subtitle && <p className="muted">{subtitle}</p>}
        </div>
        {actions && <div className="card-actions">{actions}</div>}
      </header>
      {children}
    </section>
  );
}

/** A headline figure: label above, value large, an optional note below. */
export function Stat({
  label,
  value,
  note,
  testId,
  tone,
}: {
  label: string;
  value: string;
  note?: ReactNode;
  testId?: string;
  tone?: "accent" | "warn";
}) {
  return (
    <div className={`stat ${tone ? `stat-${tone}` : ""}`}>
      <span className="stat-label">{label}</span>
      <span className="stat-value" data-testid={testId}>
        {value}
      </span>
      {note && <span className="stat-note">{note}</span>}
    </div>
  );
}

/** "Ready in 59m 12s" until `end`, then "Ready now". */
export function Countdown({ end, now }: { end: number; now: number }) {
  const left = end - now;
  return left > 0 ? (
    <span className="countdown">ready in {formatDuration(left)}</span>
  ) : (
    <span className="countdown countdown-ready">ready now</span>
  );
}

export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied(true);
      window.setTimeout(() => setCopied(false), 2000);
    } catch {
      setCopied(false);
    }
  };
  return (
    <button type="button" className="btn btn-small" onClick={copy}>
      {copied ? "Copied" : label}
    </button>
  );
}

export function Pill({ tone, children }: { tone: "ok" | "warn" | "bad" | "neutral"; children: ReactNode }) {
  return <span className={`pill pill-${tone}`}>{children}</span>;
}

/** A labelled amount input with the token symbol inside and an optional "Max". */
export function AmountField({
  id,
  label,
  value,
  onChange,
  symbol,
  hint,
  onMax,
}: {
  id: string;
  label: string;
  value: string;
  onChange: (value: string) => void;
  symbol: string;
  hint?: ReactNode;
  onMax?: () => void;
}) {
  return (
    <div className="field">
      <label htmlFor={id}>{label}</label>
      <div className="amount-input">
        <input
          id={id}
          inputMode="decimal"
          autoComplete="off"
          placeholder="0.00"
          value={value}
          onChange={(e) => onChange(e.target.value)}
        />
        <span className="unit">{symbol}</span>
        {onMax && (
          <button type="button" className="btn btn-small btn-ghost" onClick={onMax}>
            Max
          </button>
        )}
      </div>
      {hint && <span className="field-hint">{hint}</span>}
    </div>
  );
}

export function Empty({ children }: { children: ReactNode }) {
  return <p className="empty">{children}</p>;
}

export function ErrorNote({ message }: { message: string | undefined }) {
  return message ? (
    <p className="alert alert-error" role="alert">
      {message}
    </p>
  ) : null;
}

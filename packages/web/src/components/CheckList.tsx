/** One line of a verification, as the SDK's check lists word them. */
export type CheckLine = { title: string; status: "pass" | "fail" | "skip"; detail: string };

/** A verification's lines, ✓ / ✕ / – each, with what was found. */
export function CheckList({ checks, testId }: { checks: readonly CheckLine[]; testId: string }) {
  return (
    <ul className="checks" data-testid={testId}>
      {checks.map((c) => (
        <li key={c.title} className={`check check-${c.status}`}>
          <span className="check-mark" role="img" aria-label={c.status}>
            {c.status === "pass" ? "✓" : c.status === "fail" ? "✕" : "–"}
          </span>
          <div>
            <strong>{c.title}</strong>
            <div className="muted small break">{c.detail}</div>
          </div>
        </li>
      ))}
    </ul>
  );
}

import { formatAmount } from "../chain/format.js";

export type Point = { time: number; value: bigint };

const W = 640;
const H = 200;
const PAD = { left: 76, right: 12, top: 12, bottom: 28 };

function dayLabel(t: number): string {
  return new Date(t * 1000).toLocaleDateString("en-GB", { day: "numeric", month: "short" });
}

function timeLabel(t: number, span: number): string {
  return span < 2 * 86_400
    ? new Date(t * 1000).toLocaleTimeString("en-GB", { hour: "2-digit", minute: "2-digit" })
    : dayLabel(t);
}

/** A step chart of a cumulative amount over time, drawn as SVG (no chart library needed for one line). */
export function LineChart({
  points,
  decimals,
  unit,
  now,
}: {
  points: Point[];
  decimals: number;
  unit: string;
  now: number;
}) {
  if (points.length === 0) return null;
  const first = points[0]!.time;
  const t0 = Math.min(first, now - 3600);
  const span = Math.max(now - t0, 60);
  // biome-ignore lint/complexity/useMathMinMax: Math.max does not take bigints.
  const max = points.reduce((m, p) => (p.value > m ? p.value : m), 0n);
  const top = max === 0n ? 1n : max;
  // Enough fraction digits for the top tick to show two significant digits, so small earnings do not read 0.00.
  const labelDigits = Math.min(decimals, Math.max(2, decimals - top.toString().length + 2));
  const x = (t: number) => PAD.left + ((t - t0) / span) * (W - PAD.left - PAD.right);
  const y = (v: bigint) =>
    H - PAD.bottom - (Number((v * 10_000n) / top) / 10_000) * (H - PAD.top - PAD.bottom);
  let path = `M ${x(t0)} ${y(0n)}`;
  let last = 0n;
  for (const p of points) {
    path += ` L ${x(p.time)} ${y(last)} L ${x(p.time)} ${y(p.value)}`;
    last = p.value;
  }
  path += ` L ${x(now)} ${y(last)}`;
  const area = `${path} L ${x(now)} ${y(0n)} Z`;
  const ticks = [0n, top / 2n, top];
  return (
    <svg className="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={`Cumulative earnings, ${unit}`}>
      {ticks.map((t) => (
        <g key={t.toString()}>
          <line x1={PAD.left} x2={W - PAD.right} y1={y(t)} y2={y(t)} className="chart-grid" />
          <text x={PAD.left - 6} y={y(t) + 4} textAnchor="end" className="chart-label">
            {formatAmount(t, decimals, labelDigits)}
          </text>
        </g>
      ))}
      <path d={area} className="chart-area" />
      <path d={path} className="chart-line" />
      <text x={PAD.left} y={H - 8} className="chart-label">
        {timeLabel(t0, span)}
      </text>
      <text x={W - PAD.right} y={H - 8} textAnchor="end" className="chart-label">
        now
      </text>
      <text x={PAD.left + 8} y={PAD.top + 24} className="chart-label">
        {unit}
      </text>
    </svg>
  );
}

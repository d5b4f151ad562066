/**
 * A self-contained HTML report of a backtest: equity and drawdown charts, a price chart with
 * entries and exits, the trade list and the statistics. lightweight-charts' standalone build is
 * inlined, so the file opens offline with nothing else.
 */
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { microsToIso } from "../model/time.js";
import type { BacktestResult } from "./engine.js";

export interface ReportCandle {
  /** Bar open time, µs. */
  time: number;
  open: number;
  high: number;
  low: number;
  close: number;
}

export interface ReportOptions {
  title: string;
  /** Price bars of the traded instrument, for the price chart (optional). */
  candles?: ReportCandle[];
  /** Extra lines at the top (data file, strategy, parameters). */
  subtitle?: string[];
}

function chartLibrary(): string {
  // The package's exports hide the standalone build; it sits beside the resolved entry point.
  const entry = fileURLToPath(import.meta.resolve("lightweight-charts"));
  return readFileSync(join(dirname(entry), "lightweight-charts.standalone.production.js"), "utf8");
}

function esc(s: string): string {
  return s.replace(
    /[&<>"']/g,
    (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c] ?? c,
  );
}

function fmt(x: number, digits = 4): string {
  if (!Number.isFinite(x)) return Number.isNaN(x) ? "n/a" : x > 0 ? "∞" : "−∞";
  return x.toFixed(digits);
}

/** Renders the report as one HTML string. */
export function renderHtmlReport(result: BacktestResult, options: ReportOptions): string {
  const toSec = (us: number) => Math.floor(us / 1_000_000);
  // Charts need strictly increasing times: keep the last value per second.
  const dedupe = <T extends { time: number }>(xs: T[]): T[] => {
    const out: T[] = [];
    for (const x of xs) {
      if (out.length > 0 && out[out.length - 1].time === x.time) out[out.length - 1] = x;
      else out.push(x);
    }
    return out;
  };
  const equity = dedupe(result.equityCurve.map((p) => ({ time: toSec(p.ts), value: Number(p.equity) })));
  let peak = Number.NEGATIVE_INFINITY;
  const drawdown = equity.map((p) => {
    peak = Math.max(peak, p.value);
    return { time: p.time, value: peak > 0 ? ((p.value - peak) / peak) * 100 : 0 };
  });
  const candles = dedupe(
    (options.candles ?? []).map((c) => ({
      time: toSec(c.time),
      open: c.open,
      high: c.high,
      low: c.low,
      close: c.close,
    })),
  );
  const markers = result.trades
    .flatMap((t) => [
      {
        time: toSec(t.entryTime),
        position: t.side === "LONG" ? "belowBar" : "aboveBar",
        color: "#2e7d32",
        shape: t.side === "LONG" ? "arrowUp" : "arrowDown",
        text: "in",
      },
      {
        time: toSec(t.exitTime),
        position: t.side === "LONG" ? "aboveBar" : "belowBar",
        color: "#c62828",
        shape: t.side === "LONG" ? "arrowDown" : "arrowUp",
        text: "out",
      },
    ])
    .sort((a, b) => a.time - b.time);
  const s = result.stats;
  const statRows: [string, string][] = [
    ["start equity", result.startEquity.toString()],
    ["final equity", result.finalEquity.toString()],
    ["total return", `${fmt(s.totalReturn * 100, 2)} %`],
    ["CAGR", `${fmt(s.cagr * 100, 2)} %`],
    ["annualised volatility", `${fmt(s.annualVolatility * 100, 2)} %`],
    ["Sharpe", fmt(s.sharpe, 3)],
    ["Sortino", fmt(s.sortino, 3)],
    ["Calmar", fmt(s.calmar, 3)],
    ["max drawdown", `${fmt(s.maxDrawdown * 100, 2)} %`],
    ["max drawdown duration", `${fmt(s.maxDrawdownDurationUs / 86_400_000_000, 2)} days`],
    ["trades", String(s.trades)],
    ["win rate", `${fmt(s.winRate * 100, 1)} %`],
    ["profit factor", fmt(s.profitFactor, 3)],
    ["expectancy", fmt(s.expectancy, 6)],
    ["average win / loss", `${fmt(s.averageWin, 6)} / ${fmt(s.averageLoss, 6)}`],
    ["exposure time", `${fmt(s.exposureTime * 100, 1)} %`],
    ["turnover", fmt(s.turnover, 3)],
    ["fees", fmt(s.totalFees, 8)],
    ["events", String(result.events)],
    ["period", `${microsToIso(result.startTime)} → ${microsToIso(result.endTime)}`],
  ];
  const tradeRows = result.trades
    .map(
      (t, i) =>
        `<tr><td>${i + 1}</td><td>${esc(t.instrumentId)}</td><td>${t.side}</td><td>${t.qty}</td><td>${microsToIso(t.entryTime)}</td><td>${t.entryPrice}</td><td>${microsToIso(t.exitTime)}</td><td>${t.exitPrice}</td><td class="${Number(t.pnl) >= 0 ? "pos" : "neg"}">${t.pnl}</td><td>${t.fees}</td></tr>`,
    )
    .join("\n");
  const decimals = Math.min(
    12,
    Math.max(
      0,
      ...(options.candles ?? []).slice(0, 500).map((c) => (String(c.close).split(".")[1] ?? "").length),
    ),
  );
  const data = JSON.stringify({ equity, drawdown, candles, markers, decimals });
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>${esc(options.title)}</title>
<style>
body{font-family:system-ui,sans-serif;margin:24px;color:#222;background:#fafafa}
h1{font-size:20px;margin:0 0 4px} .sub{color:#666;font-size:13px;margin:2px 0}
.grid{display:grid;grid-template-columns:320px 1fr;gap:24px;margin-top:16px}
table{border-collapse:collapse;font-size:13px;background:#fff} td,th{border-bottom:1px solid #eee;padding:4px 8px;text-align:right}
th{background:#f0f0f0} td:first-child,th:first-child{text-align:left}
.chart{height:260px;background:#fff;margin-bottom:16px;border:1px solid #e5e5e5}
.pos{color:#2e7d32}.neg{color:#c62828} h2{font-size:15px;margin:16px 0 6px}
</style></head><body>
<h1>${esc(options.title)}</h1>
${(options.subtitle ?? []).map((l) => `<div class="sub">${esc(l)}</div>`).join("\n")}
<div class="grid"><div><h2>Statistics</h2><table id="stats">${statRows.map(([k, v]) => `<tr><td>${esc(k)}</td><td>${esc(v)}</td></tr>`).join("")}</table></div>
<div><h2>Equity</h2><div class="chart" id="equity"></div><h2>Drawdown (%)</h2><div class="chart" id="drawdown" style="height:160px"></div>
${candles.length > 0 ? '<h2>Price, entries and exits</h2><div class="chart" id="price" style="height:340px"></div>' : ""}</div></div>
<h2>Trades (${result.trades.length})</h2>
<table id="trades"><tr><th>#</th><th>instrument</th><th>side</th><th>qty</th><th>entry time</th><th>entry</th><th>exit time</th><th>exit</th><th>pnl</th><th>fees</th></tr>
${tradeRows}</table>
<script>${chartLibrary()}</script>
<script>
const D = ${data};
const LC = LightweightCharts;
function chart(id, h){ const el=document.getElementById(id); if(!el) return null; return LC.createChart(el,{height:h,layout:{background:{color:'#fff'}},timeScale:{timeVisible:true}}); }
const eq = chart('equity', 260); eq.addSeries(LC.LineSeries,{color:'#1565c0',lineWidth:2}).setData(D.equity); eq.timeScale().fitContent();
const dd = chart('drawdown', 160); dd.addSeries(LC.AreaSeries,{lineColor:'#c62828',topColor:'rgba(198,40,40,0.1)',bottomColor:'rgba(198,40,40,0.4)'}).setData(D.drawdown); dd.timeScale().fitContent();
const pc = chart('price', 340);
if (pc) { const cs = pc.addSeries(LC.CandlestickSeries,{priceFormat:{type:'price',precision:D.decimals,minMove:Math.pow(10,-D.decimals)}}); cs.setData(D.candles); LC.createSeriesMarkers(cs, D.markers); pc.timeScale().fitContent(); }
window.__reportReady = true;
</script></body></html>
`;
}
